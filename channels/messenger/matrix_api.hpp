#pragma once
// Matrix out (CHANNELS.md 5.2), without I/O: the client-server API calls
// Balie makes as an application service (with the as_token, as its bot via
// `user_id`), their answers read back, and the registration file the
// homeserver's admin installs. A reply is sent with Balie's message id as
// the transaction id, so a retry after a lost answer is the same event and
// is never posted twice.

#include "channels/messenger/send_answer.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/outbound_http.hpp"

#include <string>

namespace balie::messenger {

/// `PUT …/rooms/{room}/send/m.room.message/{txn}`: an m.text with `text`.
channels::outbound_request matrix_send_request(matrix_config const&, std::string const& room, std::string const& txn_id,
                                               std::string const& text);
/// `POST …/join/{room}`: the bot accepts an invite.
channels::outbound_request matrix_join_request(matrix_config const&, std::string const& room);

/// The answer to a send or join; `platform_id` is the event id (send) or room id (join).
send_answer read_matrix_answer(channels::outbound_answer const&);

/// The registration YAML for the homeserver: Balie's url, the two tokens, its bot and its namespace.
std::string registration_yaml(matrix_config const&, std::string const& balie_url, std::string const& as_token, std::string const& hs_token);

/// A path segment percent-encoded (room ids carry '!' and ':').
std::string path_segment(std::string_view);

} // namespace balie::messenger
