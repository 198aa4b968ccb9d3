#pragma once
// The web-chat wire protocol, sans I/O: every frame is one JSON object with
// "v": 1 and a "type". The resident's client sends `hello` (token and the
// last sequence number it saw) and `message` (a client id that makes a
// resend idempotent, and the text); the server answers `welcome`, `ack`,
// `msg` (every message of the conversation, numbered), `resync`, `notice`
// and `error`. Close codes are part of the contract (README: Web chat).

#include "channels/rejection.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace balie::webchat {

inline constexpr int protocol_version = 1;
/// Longest resident message, in characters (code points).
inline constexpr std::size_t max_text_chars = 4000;
/// Largest frame accepted at all; bigger ones close the socket with 1009.
inline constexpr std::size_t max_frame_bytes = 64 * 1024;
/// Most messages replayed on resume; a larger gap asks the client to reload.
inline constexpr std::size_t max_replay = 500;

namespace close_code {
inline constexpr std::uint16_t going_away = 1001;      ///< balied stops: reconnect elsewhere or later
inline constexpr std::uint16_t invalid_utf8 = 1007;    ///< sent by the WebSocket layer itself
inline constexpr std::uint16_t policy = 1008;          ///< protocol violation: do not retry as is
inline constexpr std::uint16_t too_big = 1009;         ///< a frame over max_frame_bytes
inline constexpr std::uint16_t internal_error = 1011;  ///< a defect in balied: reconnect and resume
inline constexpr std::uint16_t try_again_later = 1013; ///< too slow a reader: reconnect and resume
inline constexpr std::uint16_t unauthorized = 4401;    ///< unknown token: start a new session
inline constexpr std::uint16_t session_expired = 4408; ///< start a new session
inline constexpr std::uint16_t rate_limited = 4429;    ///< too many messages: retry later
} // namespace close_code

struct hello {
  std::string token;
  std::int64_t last_seq = 0;
};

struct resident_message {
  std::string client_id;
  std::string text;  ///< trimmed, NFC, bidi controls removed
};

using client_frame = std::variant<hello, resident_message>;

/// Parses one text frame from the client. A rejection's `type` is the
/// protocol's error code (invalid-json, invalid-message, too-long).
outcome<client_frame> parse_client_frame(std::string_view);

/// Cleans resident text for storage and display: valid UTF-8 assumed (the
/// WebSocket layer checks it); trimmed, NFC, without bidi control characters
/// and C0 controls other than newline and tab. Empty or over the limit: a rejection.
outcome<std::string> clean_resident_text(std::string_view);

/// Longest resident name, in bytes.
inline constexpr std::size_t max_name_bytes = 200;

/// Cleans a resident's name: valid UTF-8, one line (no control or bidi
/// characters), trimmed, NFC, at most max_name_bytes. May be empty.
outcome<std::string> clean_resident_name(std::string_view);

/// A sequence number as a client echoes it (Last-Event-ID): digits only, no
/// sign or leading zero, within int64. Never throws.
std::optional<std::int64_t> parse_seq(std::string_view);

/// A client id: 1-64 characters of [A-Za-z0-9_-].
bool valid_client_id(std::string_view);

/// One message of a conversation, as stored and as sent.
struct conversation_entry {
  std::int64_t seq = 0;
  std::string id;    ///< the message id (the case-message id)
  std::string from;  ///< resident, staff, or system (Balie's own message, such as the acknowledgement)
  std::string text;
  std::string at;    ///< RFC 3339
};

std::string welcome_frame(std::string const& conversation_id, std::int64_t last_seq, int heartbeat_s);
std::string msg_frame(conversation_entry const&);
std::string ack_frame(std::string const& client_id, std::int64_t seq, std::string const& message_id);
std::string error_frame(std::string const& code, std::optional<int> retry_after_s = std::nullopt);
std::string notice_frame(std::string const& code, std::string const& text);
std::string resync_frame();
nlohmann::json entry_json(conversation_entry const&);

} // namespace balie::webchat
