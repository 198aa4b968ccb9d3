#pragma once
// The LMTP protocol (RFC 2033) without any I/O: bytes in, replies out, and a
// finished message handed to the caller, who answers for each recipient once
// the message is durable (or not). Commands may be pipelined; input that
// arrives while a message is being stored waits, so replies keep their order.
//
// Data is strict where it matters for safety: the message ends only at
// CRLF.CRLF, and a bare CR or LF anywhere in it rejects the message (SMTP
// smuggling: a different MTA might see a different end of data). Dot-
// stuffing is undone. Command lines may end in a bare LF (lenient, harmless).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace balie::email {

struct lmtp_settings {
  std::string hostname = "localhost";
  std::size_t max_message_bytes = 25 * 1024 * 1024;
  std::size_t max_recipients = 100;
  /// Whether a recipient address is delivered here (exact, lower case checks are the callee's).
  std::function<bool(std::string_view)> accepts_recipient;
};

struct lmtp_message {
  std::string sender;                   ///< MAIL FROM, empty for <>
  std::vector<std::string> recipients;  ///< accepted, in order
  std::string data;                     ///< unstuffed, CRLF line ends, without the final dot
};

struct lmtp_output {
  std::string replies;                 ///< to write now, in order
  std::optional<lmtp_message> message;  ///< store it, then call `finish`
  bool close = false;                  ///< close after writing `replies`
};

class lmtp_session {
public:
  explicit lmtp_session(lmtp_settings);

  std::string greeting() const;
  lmtp_output feed(std::string_view bytes);
  /// One reply per recipient of the handed-off message, e.g. "250 2.0.0 Ok".
  lmtp_output finish(std::vector<std::string> const& recipient_replies);
  /// A line for a connection the server gives up on (timeout, shutdown).
  std::string goodbye(std::string_view why) const;

private:
  enum class phase { command, data, waiting };
  void command(std::string_view line, lmtp_output&);
  void data_line(std::string_view line, bool bare_ending, lmtp_output&);
  void data_piece(std::string_view);
  void append_data(std::string_view);
  void end_of_data(lmtp_output&);
  void reset();
  lmtp_output run(lmtp_output out);

  lmtp_settings settings_;
  phase phase_ = phase::command;
  std::string buffer_;
  bool greeted_ = false;
  std::optional<std::string> sender_;
  std::vector<std::string> recipients_;
  std::string data_;
  bool too_big_ = false;
  bool bare_line_end_ = false;
  bool line_start_ = true;
  bool closing_ = false;
};

} // namespace balie::email
