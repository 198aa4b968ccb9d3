#pragma once
// Matrix in (CHANNELS.md 5.2): one application-service transaction, as the
// homeserver pushes it to `PUT /_matrix/app/v1/transactions/{txnId}`, read
// into what Balie acts on. Residents' `m.room.message` events (`m.text`,
// `m.notice`; `m.file`, `m.image`, `m.audio`, `m.video` as files) become
// messages; an `m.replace` relation is an edit and an `m.room.redaction` a
// redaction, each naming the event it changes; an invite of Balie's bot is a
// room to join; read receipts (ephemeral `m.receipt`, pushed when the
// registration asks for them) report what residents read. Events Balie sent
// itself (its bot and its namespace) come back in transactions too and are
// skipped, as is every other event type, counted by type and never logged
// with content.

#include "channels/messenger/inbound_message.hpp"
#include "channels/messenger/settings.hpp"

#include <string_view>

namespace balie::messenger {

struct matrix_receipt {
  std::string event_id;  ///< the event read
  std::string reader;    ///< who read it
};

struct matrix_transaction {
  std::vector<inbound_message> messages;  ///< messages, edits and redactions, in order
  std::vector<std::string> invites;       ///< rooms Balie's bot was invited to
  std::vector<matrix_receipt> receipts;
  std::vector<std::string> ignored;       ///< the type of each event Balie does not act on
};

using transaction_result = boost::system::result<matrix_transaction, messenger_refusal>;

transaction_result read_transaction(std::string_view body, matrix_config const&);

/// Whether `user` is Balie's: its bot or a user in its namespace.
bool is_own_user(std::string_view user, matrix_config const&);

} // namespace balie::messenger
