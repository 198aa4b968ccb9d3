#include "channels/sms/inbound_sms.hpp"

#include "channels/addresses.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

namespace balie::sms {
namespace {

using json = nlohmann::json;

/// Provider ids are opaque, but they become Redis key parts and log fields.
constexpr std::size_t max_id_length = 200;
constexpr std::size_t max_number_length = 32;    ///< the number written to: E.164 or a short code, with room for notation
constexpr std::size_t max_text_bytes = std::size_t{64} * 1024;  ///< far above any concatenated SMS (255 parts)

std::string field(form_fields const& f, std::string_view name) {
  for (auto const& [k, v] : f)
    if (k == name) return v;
  return {};
}

/// A JSON member by path, as a string; empty when absent or not a string.
std::string at(json const& j, std::initializer_list<char const*> path) {
  json const* node = &j;
  auto last = path.end() - 1;
  for (auto it = path.begin(); it != last; ++it) {
    if (!node->is_object()) return {};
    auto const found = node->find(*it);
    if (found == node->end()) return {};
    node = &*found;
  }
  return json_fields::text(*node, *last);
}

/// UTF-16BE bytes to UTF-8; nullopt on an odd length or a surrogate without its pair.
std::optional<std::string> utf16be_to_utf8(std::string_view bytes) {
  if (bytes.size() % 2) return std::nullopt;
  std::string out;
  auto const unit = [&bytes](std::size_t i) {
    return static_cast<unsigned>(static_cast<unsigned char>(bytes[i]) << 8 | static_cast<unsigned char>(bytes[i + 1]));
  };
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    unsigned cp = unit(i);
    if (cp >= 0xDC00 && cp <= 0xDFFF) return std::nullopt;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 3 >= bytes.size()) return std::nullopt;
      auto const low = unit(i + 2);
      if (low < 0xDC00 || low > 0xDFFF) return std::nullopt;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    }
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) out += {static_cast<char>(0xC0 | cp >> 6), static_cast<char>(0x80 | (cp & 0x3F))};
    else if (cp < 0x10000)
      out += {static_cast<char>(0xE0 | cp >> 12), static_cast<char>(0x80 | (cp >> 6 & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    else
      out += {static_cast<char>(0xF0 | cp >> 18), static_cast<char>(0x80 | (cp >> 12 & 0x3F)), static_cast<char>(0x80 | (cp >> 6 & 0x3F)),
              static_cast<char>(0x80 | (cp & 0x3F))};
  }
  return out;
}

/// The parts every provider has, checked the same way.
read_result finish(std::string from, std::string to, std::string text, std::string id, std::optional<timestamp> sent_at) {
  if (from.empty()) return sms_refusal{"from: missing"};
  auto const number = read_phone_number(from);
  if (number.error != phone_number::problem::none) return sms_refusal{"from: not a phone number"};
  if (id.empty()) return sms_refusal{"message id: missing"};
  if (id.size() > max_id_length || !is_valid_utf8(id) || id.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
    return sms_refusal{"message id: not a plain identifier"};
  if (text.size() > max_text_bytes) return sms_refusal{"text: too long"};
  if (!is_valid_utf8(text)) return sms_refusal{"text: not valid UTF-8"};
  if (to.size() > max_number_length || !is_valid_utf8(to)) return sms_refusal{"to: not a number"};
  return inbound_sms{number.e164, std::move(to), to_nfc(text), std::move(id), sent_at};
}

json parse_object(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  return j.is_object() ? j : json{};
}

} // namespace

read_result read_twilio(form_fields const& f) {
  return finish(field(f, "From"), field(f, "To"), field(f, "Body"), field(f, "MessageSid"), std::nullopt);
}

read_result read_bird(std::string_view body) {
  auto const j = parse_object(body);
  if (j.is_null()) return sms_refusal{"body: not a JSON object"};
  if (at(j, {"direction"}) != "incoming") return sms_refusal{"direction: not incoming"};
  return finish(at(j, {"sender", "contact", "identifierValue"}), at(j, {"receiver", "connector", "identifierValue"}),
                at(j, {"body", "text", "text"}), at(j, {"id"}), parse_rfc3339(at(j, {"createdAt"})));
}

read_result read_messagebird(form_fields const& f) {
  return finish(field(f, "originator"), field(f, "recipient"), field(f, "body"), field(f, "id"), parse_rfc3339(field(f, "createdDatetime")));
}

read_result read_cm(std::string_view body) {
  auto const j = parse_object(body);
  if (j.is_null()) return sms_refusal{"body: not a JSON object"};
  if (auto const channel = at(j, {"channel"}); !channel.empty() && channel != "SMS") return sms_refusal{"channel: not SMS"};
  // CM writes UTC without a zone: "2025-11-28T09:00:00".
  auto sent = at(j, {"timeUtc"});
  if (!sent.empty() && sent.back() != 'Z') sent += 'Z';
  return finish(at(j, {"from", "number"}), at(j, {"to", "number"}), at(j, {"message", "text"}), at(j, {"reference"}), parse_rfc3339(sent));
}

read_result read_kannel(form_fields const& query, std::string_view body) {
  auto const charset = ascii_lower(field(query, "charset"));
  std::string text;
  if (charset.empty() || charset == "utf-8" || charset == "us-ascii") {
    text = std::string(body);
  } else if (charset == "utf-16be" || charset == "ucs-2" || charset == "utf-16") {
    auto decoded = utf16be_to_utf8(body);
    if (!decoded) return sms_refusal{"text: invalid UTF-16 (an odd length or a lone surrogate)"};
    text = std::move(*decoded);
  } else {
    return sms_refusal{"charset: only UTF-8 and UTF-16BE are read (set mo-recode in Kannel)"};
  }
  return finish(field(query, "from"), field(query, "to"), std::move(text), field(query, "id"), std::nullopt);
}

} // namespace balie::sms
