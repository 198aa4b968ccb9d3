#pragma once
// A parsed mail becomes a case-message plus what the queue needs to thread
// it. Pure: attachments are already stored, ids and time are given. Also
// the reverse of what the email sender writes: the reply token in a
// `reply+TOKEN@` address and the case/message ids in a bounce's VERP address
// (`bounces+CASE.MESSAGE@`) or in the returned Message-ID
// (`case-CASE.reply-MESSAGE@`).

#include "channels/email/mime_parse.hpp"
#include "channels/inbound_sink.hpp"

#include <optional>
#include <string>
#include <vector>

namespace balie::email {

/// Who Balie is in mail: its domain and the addresses that deliver to it.
struct mail_identity {
  std::string domain;                       ///< e.g. gemeente.test
  std::vector<std::string> own_addresses;   ///< lower case, e.g. info@gemeente.test
  std::string bounce_local_part = "bounces";
};

struct mail_envelope {
  std::optional<std::string> sender;    ///< MAIL FROM; empty for <> (bounces, auto-replies); none: unknown (IMAP)
  std::vector<std::string> recipients;  ///< accepted RCPT TO addresses
};

/// A reply Balie sent, named by a bounce.
struct outbound_ref {
  std::string case_id;
  std::string message_id;
};

struct prepared_mail {
  case_message message;
  std::string dedup_key;
  thread_hints thread;
  bool may_acknowledge = false;        ///< no loop rule forbids an automatic answer
  std::optional<outbound_ref> bounced;  ///< a bounce of this reply of Balie's
  std::string bounce_reason;            ///< for staff: status and the remote server's words
};

/// `files`: the stored attachments in `mail.attachments` order, then the whole original mail.
prepared_mail prepare_mail(parsed_mail const& mail, mail_envelope const&, mail_identity const&,
                           std::vector<attachment> files, std::string provider, std::string message_id,
                           std::string case_id, std::string reference, timestamp now);

/// The Message-ID Balie gives a reply: <case-CASE.reply-MESSAGE@domain>.
std::string outbound_message_id(std::string_view case_id, std::string_view message_id, std::string_view domain);
/// The envelope sender of a reply, so its bounce names it: bounces+CASE.MESSAGE@domain.
std::string verp_sender(std::string_view case_id, std::string_view message_id, mail_identity const&);
/// The address residents answer to: local+TOKEN@domain of the first own address.
std::string reply_address(std::string_view token, mail_identity const&);

/// The "+detail" of an address at Balie's domain, lower case; empty when none.
std::string address_detail(std::string_view address, mail_identity const&);
std::optional<outbound_ref> outbound_ref_from_message_id(std::string_view message_id, mail_identity const&);
std::optional<outbound_ref> outbound_ref_from_verp(std::string_view address, mail_identity const&);

/// Whether the address is one of Balie's own (or at its domain).
bool is_own_address(std::string_view address, mail_identity const&);

} // namespace balie::email
