#include "channels/email/lmtp_session.hpp"

#include "channels/text.hpp"

#include <charconv>

namespace balie::email {
namespace {

/// RFC 5321 allows 512 octets per command line; extensions add a little.
constexpr std::size_t max_command_line = 2048;
/// A data line without its end yet is taken in pieces beyond this, so a line
/// of any length needs no more than this much buffered.
constexpr std::size_t max_partial_line = 64 * 1024;

std::string reply(std::string_view line) { return std::string(line) + "\r\n"; }

bool starts_with_ci(std::string_view s, std::string_view p) { return s.size() >= p.size() && ascii_lower(s.substr(0, p.size())) == p; }

/// "<addr> PARAMS" → addr and params; nullopt when the brackets are missing.
std::optional<std::pair<std::string, std::string>> path_and_params(std::string_view rest) {
  rest = trim(rest);
  if (rest.empty() || rest.front() != '<') return std::nullopt;
  auto const close = rest.find('>');
  if (close == std::string_view::npos) return std::nullopt;
  auto addr = rest.substr(1, close - 1);
  // A source route (<@a,@b:user@c>) is obsolete; keep the mailbox.
  if (!addr.empty() && addr.front() == '@') {
    auto const colon = addr.find(':');
    addr = colon == std::string_view::npos ? std::string_view{} : addr.substr(colon + 1);
  }
  return std::pair{std::string(addr), std::string(trim(rest.substr(close + 1)))};
}

bool valid_path(std::string_view addr) {
  for (char c : addr)
    if (static_cast<unsigned char>(c) < 0x21 || c == '<' || c == '>' || c == 0x7F) return false;
  return addr.find('@') != std::string_view::npos && addr.size() <= 254;
}

} // namespace

lmtp_session::lmtp_session(lmtp_settings s) : settings_(std::move(s)) {}

std::string lmtp_session::greeting() const { return reply("220 " + settings_.hostname + " LMTP Balie ready"); }

std::string lmtp_session::goodbye(std::string_view why) const {
  return reply("421 4.4.2 " + settings_.hostname + " " + std::string(why) + ", closing connection");
}

void lmtp_session::reset() {
  sender_.reset();
  recipients_.clear();
  data_.clear();
  too_big_ = false;
  bare_line_end_ = false;
  line_start_ = true;
}

lmtp_output lmtp_session::feed(std::string_view bytes) {
  buffer_.append(bytes);
  return run({});
}

lmtp_output lmtp_session::finish(std::vector<std::string> const& recipient_replies) {
  lmtp_output out;
  for (auto const& r : recipient_replies) out.replies += reply(r);
  phase_ = phase::command;
  reset();
  return run(std::move(out));
}

lmtp_output lmtp_session::run(lmtp_output out) {
  // Consumed input is erased once at the end: erasing per line would copy
  // the rest of the buffer for every line of a large message.
  std::size_t pos = 0;
  std::string_view const in(buffer_);
  while (!closing_ && phase_ != phase::waiting && !out.message) {
    if (phase_ == phase::command) {
      auto const lf = in.find('\n', pos);
      if (lf == std::string_view::npos) {
        if (in.size() - pos > max_command_line) {
          out.replies += reply("500 5.5.2 Line too long");
          closing_ = true;
        }
        break;
      }
      auto line = in.substr(pos, lf - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > max_command_line) {
        out.replies += reply("500 5.5.2 Line too long");
        closing_ = true;
      } else {
        command(line, out);
      }
      pos = lf + 1;
      continue;
    }
    // Data: a line ends only at CRLF; a lone CR or LF is noted and rejects the message.
    // One scan for either byte, so input without line ends is not searched once per line.
    auto const end = in.find_first_of("\r\n", pos);
    if (end == std::string_view::npos || (in[end] == '\r' && end + 1 == in.size())) {
      // No complete line yet. A very long line is taken in pieces (but never
      // a trailing CR, which may start the CRLF).
      auto const usable = (end == std::string_view::npos ? in.size() : end) - pos;
      if (usable > max_partial_line) {
        data_piece(in.substr(pos, usable));
        pos += usable;
      }
      break;
    }
    bool const crlf = in[end] == '\r' && in[end + 1] == '\n';
    data_line(in.substr(pos, end - pos), !crlf, out);
    pos = end + (crlf ? 2 : 1);
  }
  buffer_.erase(0, pos);
  out.close = closing_;
  return out;
}

void lmtp_session::append_data(std::string_view bytes) {
  if (too_big_ || data_.size() + bytes.size() > settings_.max_message_bytes) {
    too_big_ = true;
    data_.clear();
    return;
  }
  data_.append(bytes);
}

void lmtp_session::data_piece(std::string_view piece) {
  if (line_start_ && !piece.empty() && piece.front() == '.') piece.remove_prefix(1);
  append_data(piece);
  line_start_ = false;
}

void lmtp_session::data_line(std::string_view line, bool bare_ending, lmtp_output& out) {
  if (line_start_ && line == "." && !bare_ending) return end_of_data(out);
  if (bare_ending) bare_line_end_ = true;
  if (line_start_ && !line.empty() && line.front() == '.') line.remove_prefix(1);
  append_data(line);
  append_data("\r\n");
  // After a bare CR or LF no line has started for the end-of-data check:
  // "\n.\r\n" must not end the data (another MTA would not end it there).
  line_start_ = !bare_ending;
}

void lmtp_session::end_of_data(lmtp_output& out) {
  if (too_big_ || bare_line_end_) {
    auto const line = too_big_ ? "552 5.3.4 Message too big" : "550 5.6.0 Bare CR or LF in message, not accepted";
    for (std::size_t i = 0; i < recipients_.size(); ++i) out.replies += reply(line);
    phase_ = phase::command;
    reset();
    return;
  }
  out.message = lmtp_message{sender_.value_or(""), recipients_, std::move(data_)};
  data_.clear();
  phase_ = phase::waiting;
}

void lmtp_session::command(std::string_view line, lmtp_output& out) {
  auto const verb = ascii_lower(line.substr(0, line.find(' ')));
  if (verb == "lhlo") {
    if (trim(line.substr(4)).empty()) return void(out.replies += reply("501 5.5.4 LHLO needs a host name"));
    greeted_ = true;
    reset();
    out.replies += reply("250-" + settings_.hostname);
    out.replies += reply("250-PIPELINING");
    out.replies += reply("250-ENHANCEDSTATUSCODES");
    out.replies += reply("250-8BITMIME");
    out.replies += reply("250-SMTPUTF8");
    out.replies += reply("250 SIZE " + std::to_string(settings_.max_message_bytes));
    return;
  }
  if (verb == "helo" || verb == "ehlo") return void(out.replies += reply("500 5.5.1 This is LMTP: use LHLO"));
  if (verb == "quit") {
    out.replies += reply("221 2.0.0 Bye");
    closing_ = true;
    return;
  }
  if (verb == "noop") return void(out.replies += reply("250 2.0.0 Ok"));
  if (verb == "rset") {
    reset();
    return void(out.replies += reply("250 2.0.0 Ok"));
  }
  if (verb == "vrfy") return void(out.replies += reply("252 2.5.0 Cannot verify, send some mail"));
  if (!greeted_) return void(out.replies += reply("503 5.5.1 Send LHLO first"));
  if (starts_with_ci(line, "mail from:")) {
    if (sender_) return void(out.replies += reply("503 5.5.1 Sender already given"));
    auto const p = path_and_params(line.substr(10));
    if (!p || (!p->first.empty() && !valid_path(p->first))) return void(out.replies += reply("501 5.1.7 Bad sender address syntax"));
    std::string_view params = p->second;
    while (!params.empty()) {
      auto const sp = params.find(' ');
      auto const param = ascii_lower(params.substr(0, sp));
      params = sp == std::string_view::npos ? std::string_view{} : trim(params.substr(sp));
      if (param == "body=7bit" || param == "body=8bitmime" || param == "smtputf8") continue;
      if (param.rfind("size=", 0) == 0) {
        std::size_t size = 0;
        auto const [ptr, ec] = std::from_chars(param.data() + 5, param.data() + param.size(), size);
        if (ec == std::errc::result_out_of_range) return void(out.replies += reply("552 5.3.4 Message too big"));
        if (ec != std::errc{} || ptr != param.data() + param.size()) return void(out.replies += reply("501 5.5.4 Bad SIZE value"));
        if (size > settings_.max_message_bytes) return void(out.replies += reply("552 5.3.4 Message too big"));
        continue;
      }
      return void(out.replies += reply("555 5.5.4 Unsupported MAIL parameter"));
    }
    sender_ = p->first;
    return void(out.replies += reply("250 2.1.0 Ok"));
  }
  if (starts_with_ci(line, "rcpt to:")) {
    if (!sender_) return void(out.replies += reply("503 5.5.1 Need MAIL first"));
    auto const p = path_and_params(line.substr(8));
    if (!p || !valid_path(p->first)) return void(out.replies += reply("501 5.1.3 Bad recipient address syntax"));
    if (!p->second.empty()) return void(out.replies += reply("555 5.5.4 Unsupported RCPT parameter"));
    if (recipients_.size() >= settings_.max_recipients) return void(out.replies += reply("452 4.5.3 Too many recipients"));
    if (!settings_.accepts_recipient || !settings_.accepts_recipient(p->first))
      return void(out.replies += reply("550 5.1.1 No such recipient here"));
    recipients_.push_back(p->first);
    return void(out.replies += reply("250 2.1.5 Ok"));
  }
  if (verb == "data") {
    if (!sender_) return void(out.replies += reply("503 5.5.1 Need MAIL first"));
    if (recipients_.empty()) return void(out.replies += reply("503 5.5.1 No valid recipients"));
    phase_ = phase::data;
    return void(out.replies += reply("354 Start mail input; end with <CRLF>.<CRLF>"));
  }
  if (verb == "bdat" || verb == "starttls" || verb == "auth") return void(out.replies += reply("502 5.5.1 Not supported"));
  out.replies += reply("500 5.5.2 Unknown command");
}

} // namespace balie::email
