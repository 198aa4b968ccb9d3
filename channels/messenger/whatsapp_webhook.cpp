#include "channels/messenger/whatsapp_webhook.hpp"

#include "channels/addresses.hpp"
#include "channels/ids.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

namespace balie::messenger {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_id_length = 200;     ///< a wamid is about 60 characters
constexpr std::size_t max_name_bytes = 200;    ///< a profile name; longer is cut
constexpr std::size_t max_text_bytes = 4096;   ///< WhatsApp's own limit for a text message
constexpr std::size_t max_items = 1000;        ///< messages and statuses in one notification; Meta batches far fewer
constexpr std::size_t max_mime_length = 100;   ///< a declared MIME type; longer is cut
constexpr std::size_t max_filename_bytes = 200;
constexpr std::size_t max_type_length = 20;    ///< an ignored message type, as counted and logged
constexpr long long max_epoch_seconds = 1LL << 36;  ///< a time past this (the year 4147) is no time

/// A member of an object, or null.
json const* member(json const& j, char const* name) {
  if (!j.is_object()) return nullptr;
  auto const it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

json const* array_member(json const& j, char const* name) {
  auto const* m = member(j, name);
  return m && m->is_array() ? m : nullptr;
}

/// `text` of the object at `name`, or empty.
std::string nested_text(json const& j, char const* name, char const* field) {
  auto const* m = member(j, name);
  return m ? json_fields::text(*m, field) : std::string{};
}

std::optional<timestamp> seconds_since_epoch(std::string const& s) {
  long long v = 0;
  auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 0 || v > max_epoch_seconds) return std::nullopt;
  return timestamp(std::chrono::seconds(v));
}

/// UTF-8 text cut at a character boundary.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  auto n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

/// The text a message carries, by type, and what a file is; nullopt for a type Balie cannot carry.
std::optional<std::string> text_of(json const& m, std::string const& type, inbound_message& out) {
  if (type == "text") return nested_text(m, "text", "body");
  if (type == "button") return nested_text(m, "button", "text");
  if (type == "interactive") {
    auto const* i = member(m, "interactive");
    if (!i) return std::nullopt;
    for (auto const* kind : {"button_reply", "list_reply"})
      if (auto const* r = member(*i, kind)) return json_fields::text(*r, "title");
    return std::nullopt;
  }
  if (type == "image" || type == "document" || type == "audio" || type == "video") {
    out.media_type = type;
    auto const* media = member(m, type.c_str());
    if (!media) return std::string{};
    out.media_ref = json_fields::text(*media, "id");
    out.media_mime = json_fields::text(*media, "mime_type").substr(0, max_mime_length);
    out.filename = json_fields::text(*media, "filename");
    if (out.media_ref.size() > max_id_length || out.media_ref.find_first_not_of("0123456789") != std::string::npos) out.media_ref.clear();
    if (!is_valid_utf8(out.filename) || !is_valid_utf8(out.media_mime)) out.filename.clear(), out.media_mime.clear();
    out.filename = cut(out.filename, max_filename_bytes);
    auto caption = json_fields::text(*media, "caption");
    return caption.empty() ? json_fields::text(*media, "filename") : caption;
  }
  return std::nullopt;
}

boost::system::result<inbound_message, messenger_refusal> read_message(json const& m, json const* contacts) {
  inbound_message out;
  auto const from = json_fields::text(m, "from");
  if (from.empty() || from.size() > 20 || from.find_first_not_of("0123456789") != std::string::npos)
    return messenger_refusal{"messages.from: not a WhatsApp number"};
  out.from = "+" + from;
  out.id = json_fields::text(m, "id");
  out.sent_at = seconds_since_epoch(json_fields::text(m, "timestamp"));
  if (!out.sent_at) return messenger_refusal{"messages.timestamp: not a time"};
  auto const type = json_fields::text(m, "type");
  auto text = text_of(m, type, out);
  if (!text) return messenger_refusal{"ignored"};
  out.text = std::move(*text);
  if (contacts)
    for (auto const& c : *contacts)
      if (json_fields::text(c, "wa_id") == from) out.name = nested_text(c, "profile", "name");
  return checked_whatsapp_message(std::move(out), "messages.");
}

boost::system::result<outbound_status, messenger_refusal> read_status(json const& s) {
  outbound_status out;
  auto const status = json_fields::text(s, "status");
  if (status != "sent" && status != "delivered" && status != "read" && status != "failed") return messenger_refusal{"statuses.status: unknown"};
  out.status = status;
  out.platform_id = json_fields::text(s, "id");
  if (out.platform_id.size() > max_id_length) return messenger_refusal{"statuses.id: too long"};
  auto const ref = from_callback_data(json_fields::text(s, "biz_opaque_callback_data"));
  if (ref) out.case_id = ref->first, out.message_id = ref->second;
  if (auto const* errors = array_member(s, "errors"); errors && !errors->empty()) {
    auto const& e = (*errors)[0];
    auto const* code = member(e, "code");
    if (code && code->is_number_integer()) out.detail = "whatsapp error " + std::to_string(code->get<long long>());
  }
  return out;
}

} // namespace

boost::system::result<inbound_message, messenger_refusal> checked_whatsapp_message(inbound_message m, std::string_view field) {
  auto const refused = [field](char const* what) { return messenger_refusal{std::string(field) + what}; };
  if (!is_e164(m.from)) return refused("from: not a WhatsApp number");
  if (m.id.empty() || m.id.size() > max_id_length || !is_valid_utf8(m.id)) return refused("id: missing or too long");
  if (!is_valid_utf8(m.text)) return refused("text: not UTF-8");
  auto const sent = m.text.size();
  m.text = to_nfc(m.text);  // before the limit: NFC can make a text longer
  if (sent > max_text_bytes || m.text.size() > max_text_bytes) return refused("text: longer than WhatsApp allows");
  // NFC before the cut (it can make a text longer); a name many times the limit is not worth normalising.
  if (is_valid_utf8(m.name) && m.name.size() <= 4 * max_name_bytes) m.name = cut(to_nfc(trim(m.name)), max_name_bytes);
  else m.name.clear();
  return m;
}

notification_result read_whatsapp(std::string_view body) {
  auto const j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return messenger_refusal{"body: not JSON"};
  if (json_fields::text(j, "object") != "whatsapp_business_account") return messenger_refusal{"object: not whatsapp_business_account"};
  auto const* entries = array_member(j, "entry");
  if (!entries) return messenger_refusal{"entry: missing"};
  whatsapp_notification out;
  std::size_t items = 0;
  for (auto const& entry : *entries) {
    auto const* changes = array_member(entry, "changes");
    if (!changes) continue;
    for (auto const& change : *changes) {
      if (json_fields::text(change, "field") != "messages") continue;  // account and template updates: not for Balie
      auto const* value = member(change, "value");
      if (!value || !value->is_object()) return messenger_refusal{"changes.value: missing"};
      auto const* contacts = array_member(*value, "contacts");
      if (auto const* messages = array_member(*value, "messages"))
        for (auto const& m : *messages) {
          if (++items > max_items) return messenger_refusal{"messages: too many in one notification"};
          auto read = read_message(m, contacts);
          if (read) out.messages.push_back(std::move(*read));
          else if (read.error().reason == "ignored") out.ignored.push_back(cut(json_fields::text(m, "type"), max_type_length));
          else return read.error();
        }
      if (auto const* statuses = array_member(*value, "statuses"))
        for (auto const& s : *statuses) {
          if (++items > max_items) return messenger_refusal{"statuses: too many in one notification"};
          auto read = read_status(s);
          if (!read) return read.error();
          out.statuses.push_back(std::move(*read));
        }
    }
  }
  return out;
}

std::optional<std::string> verification_challenge(channels::form_fields const& query, std::string_view verify_token) {
  std::string mode, token, challenge;
  for (auto const& [k, v] : query) {
    if (k == "hub.mode") mode = v;
    else if (k == "hub.verify_token") token = v;
    else if (k == "hub.challenge") challenge = v;
  }
  if (mode != "subscribe" || !channels::same_secret(token, verify_token)) return std::nullopt;
  // Echoed as text/plain; anything but a short token is not Meta's.
  if (challenge.empty() || challenge.size() > 200 || challenge.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") != std::string::npos)
    return std::nullopt;
  return challenge;
}

std::string callback_data(std::string const& case_id, std::string const& message_id) { return case_id + "." + message_id; }

std::optional<std::pair<std::string, std::string>> from_callback_data(std::string_view s) {
  auto const dot = s.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string a(s.substr(0, dot)), b(s.substr(dot + 1));
  if (!is_ulid(a) || !is_ulid(b)) return std::nullopt;
  return std::pair{a, b};
}

} // namespace balie::messenger
