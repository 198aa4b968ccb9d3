#include "channels/webchat/protocol.hpp"

#include "channels/json_fields.hpp"
#include "channels/text.hpp"

#include <algorithm>
#include <charconv>

namespace balie::webchat {
namespace {

/// Unicode bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9): they
/// can make text read differently from what it says, so resident text drops them.
bool is_bidi_control(char32_t c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string strip_controls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto const b = static_cast<unsigned char>(s[i]);
    std::size_t const len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    bool const control = (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F;
    if (!control && !is_bidi_control(cp)) out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

} // namespace

bool valid_client_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

outcome<std::string> clean_resident_text(std::string_view raw) {
  if (!is_valid_utf8(raw)) return reject(400, "invalid-message", "The text is not valid UTF-8.", "/text");
  auto const text = to_nfc(trim(strip_controls(raw)));
  if (text.empty()) return reject(400, "invalid-message", "The message is empty.", "/text");
  if (code_points(text) > max_text_chars)
    return reject(400, "too-long", "A message may be at most " + std::to_string(max_text_chars) + " characters.", "/text");
  return text;
}

outcome<std::string> clean_resident_name(std::string_view raw) {
  if (!is_valid_utf8(raw)) return reject(400, "invalid-request", "not valid UTF-8", "name");
  // One line: a newline or tab becomes a space, other control and bidi characters go.
  auto name = strip_controls(raw);
  std::replace_if(name.begin(), name.end(), [](char c) { return c == '\n' || c == '\t'; }, ' ');
  auto clean = to_nfc(trim(name));
  if (clean.size() > max_name_bytes) return reject(400, "invalid-request", "at most 200 bytes", "name");
  return clean;
}

std::optional<std::int64_t> parse_seq(std::string_view s) {
  std::int64_t n = 0;
  auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || end != s.data() + s.size() || n < 0 || s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  return n;
}

outcome<client_frame> parse_client_frame(std::string_view frame) {
  auto const j = nlohmann::json::parse(frame, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return reject(400, "invalid-json", "A frame must be one JSON object.");
  auto const v = json_fields::optional_integer(j, "v");
  if (!v || *v != protocol_version) return reject(400, "invalid-message", "The frame must say \"v\": 1.", "/v");
  auto const type = json_fields::string_or(j, "type", "");
  if (!type) return reject(400, "invalid-message", "The frame's type must be text.", "/type");
  if (*type == "hello") {
    auto token = json_fields::string_or(j, "token", "");
    if (!token || token->empty() || token->size() > 128)
      return reject(400, "invalid-message", "hello needs the session token.", "/token");
    auto const seq = json_fields::optional_integer(j, "last_seq");
    if (!seq || (*seq && **seq < 0)) return reject(400, "invalid-message", "last_seq must be a whole number, 0 or more.", "/last_seq");
    return client_frame{hello{std::move(*token), seq->value_or(0)}};
  }
  if (*type == "message") {
    auto id = json_fields::string_or(j, "client_id", "");
    if (!id || !valid_client_id(*id))
      return reject(400, "invalid-message", "client_id must be 1-64 characters of letters, digits, '-' and '_'.", "/client_id");
    auto const text = json_fields::optional_string(j, "text");
    if (!text || !*text) return reject(400, "invalid-message", "A message needs a text.", "/text");
    auto clean = clean_resident_text(**text);
    if (!clean) return clean.error();
    return client_frame{resident_message{std::move(*id), std::move(*clean)}};
  }
  return reject(400, "invalid-message", "Unknown frame type.", "/type");
}

nlohmann::json entry_json(conversation_entry const& e) {
  return {{"v", protocol_version}, {"type", "msg"}, {"seq", e.seq}, {"id", e.id}, {"from", e.from}, {"text", e.text}, {"at", e.at}};
}

std::string welcome_frame(std::string const& conversation_id, std::int64_t last_seq, int heartbeat_s) {
  return nlohmann::json{{"v", protocol_version}, {"type", "welcome"}, {"conversation_id", conversation_id},
                        {"last_seq", last_seq}, {"heartbeat", heartbeat_s}}
      .dump();
}

std::string msg_frame(conversation_entry const& e) { return entry_json(e).dump(); }

std::string ack_frame(std::string const& client_id, std::int64_t seq, std::string const& message_id) {
  return nlohmann::json{{"v", protocol_version}, {"type", "ack"}, {"client_id", client_id}, {"seq", seq}, {"message_id", message_id}}.dump();
}

std::string error_frame(std::string const& code, std::optional<int> retry_after_s) {
  nlohmann::json j{{"v", protocol_version}, {"type", "error"}, {"code", code}};
  if (retry_after_s) j["retry_after"] = *retry_after_s;
  return j.dump();
}

std::string notice_frame(std::string const& code, std::string const& text) {
  return nlohmann::json{{"v", protocol_version}, {"type", "notice"}, {"code", code}, {"text", text}}.dump();
}

std::string resync_frame() { return nlohmann::json{{"v", protocol_version}, {"type", "resync"}}.dump(); }

} // namespace balie::webchat
