#include "channels/messenger/matrix_events.hpp"

#include "channels/json_fields.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace balie::messenger {
namespace {

using json = nlohmann::json;

constexpr std::size_t max_events = 1000;     ///< Synapse pushes at most 100 PDUs per transaction
constexpr std::size_t max_id_length = 255;   ///< the spec's limit for event, room and user ids
constexpr std::size_t max_text_bytes = std::size_t{64} * 1024;  ///< a homeserver's event is at most 64 KiB
constexpr std::size_t max_mime_length = 100;   ///< a declared MIME type; longer is cut
constexpr unsigned long long max_millis = 1ULL << 45;  ///< a time past this (the year 3084) is no time

json const* member(json const& j, char const* name) {
  if (!j.is_object()) return nullptr;
  auto const it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

/// A Matrix id with its sigil: @user:server, !room:server, $event.
bool is_id(std::string const& s, char sigil) {
  auto const control = [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; };
  return s.size() >= 2 && s.size() <= max_id_length && s[0] == sigil && is_valid_utf8(s) && std::none_of(s.begin(), s.end(), control) &&
         (sigil == '$' || s.find(':') != std::string::npos);
}

std::optional<timestamp> millis(json const& e) {
  auto const* ts = member(e, "origin_server_ts");
  if (!ts || !ts->is_number_integer()) return std::nullopt;
  if (ts->is_number_unsigned() && ts->get<unsigned long long>() > max_millis) return std::nullopt;
  auto const v = ts->get<long long>();
  if (v < 0 || static_cast<unsigned long long>(v) > max_millis) return std::nullopt;
  return timestamp(std::chrono::milliseconds(v));
}

/// A message, an edit (m.replace) or nothing Balie carries (nullopt, `ignored` says why).
std::optional<inbound_message> read_room_message(json const& content, std::string& ignored) {
  inbound_message m;
  auto const msgtype = json_fields::text(content, "msgtype");
  auto const* body_source = &content;
  if (auto const* rel = member(content, "m.relates_to"); rel && json_fields::text(*rel, "rel_type") == "m.replace") {
    m.kind = message_kind::edit;
    m.changes = json_fields::text(*rel, "event_id");
    if (!is_id(m.changes, '$')) return ignored = "m.replace without an event", std::nullopt;
    if (auto const* fresh = member(content, "m.new_content"); fresh && fresh->is_object()) body_source = fresh;
  }
  if (msgtype == "m.file" || msgtype == "m.image" || msgtype == "m.audio" || msgtype == "m.video") {
    m.media_type = msgtype.substr(2);
    m.media_ref = json_fields::text(*body_source, "url");
    if (m.media_ref.size() > max_id_length || !m.media_ref.starts_with("mxc://")) m.media_ref.clear();
    if (auto const* info = member(*body_source, "info")) m.media_mime = json_fields::text(*info, "mimetype").substr(0, max_mime_length);
    m.filename = json_fields::text(*body_source, "filename");
    if (m.filename.empty()) m.filename = json_fields::text(*body_source, "body");
    if (!is_valid_utf8(m.filename) || m.filename.size() > 255) m.filename.clear();
    if (!is_valid_utf8(m.media_mime)) m.media_mime.clear();
  } else if (msgtype != "m.text" && msgtype != "m.notice") return ignored = msgtype.empty() ? "m.room.message" : msgtype.substr(0, 30), std::nullopt;
  auto const body = json_fields::text(*body_source, "body");
  if (!is_valid_utf8(body) || body.size() > max_text_bytes) return ignored = "unreadable body", std::nullopt;
  m.text = to_nfc(body);
  if (m.text.size() > max_text_bytes) return ignored = "unreadable body", std::nullopt;  // NFC can make a text longer
  return m;
}

} // namespace

bool is_own_user(std::string_view user, matrix_config const& c) {
  if (user == c.bot()) return true;
  auto const prefix = "@" + c.user_prefix;
  auto const suffix = ":" + c.server_name;
  return user.starts_with(prefix) && user.ends_with(suffix);
}

transaction_result read_transaction(std::string_view body, matrix_config const& c) {
  auto const j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return messenger_refusal{"body: not JSON"};
  auto const* events = member(j, "events");
  if (!events || !events->is_array()) return messenger_refusal{"events: missing"};
  matrix_transaction out;
  if (events->size() > max_events) return messenger_refusal{"events: too many in one transaction"};
  for (auto const& e : *events) {
    auto const type = json_fields::text(e, "type");
    auto const sender = json_fields::text(e, "sender");
    auto const room = json_fields::text(e, "room_id");
    auto const id = json_fields::text(e, "event_id");
    auto const* content = member(e, "content");
    if (!is_id(sender, '@') || !is_id(room, '!') || !is_id(id, '$') || !content || !content->is_object())
      return messenger_refusal{"events: an event without sender, room_id, event_id or content"};
    if (type == "m.room.member") {
      if (json_fields::text(e, "state_key") == c.bot() && json_fields::text(*content, "membership") == "invite") out.invites.push_back(room);
      else out.ignored.push_back("m.room.member");
      continue;
    }
    if (is_own_user(sender, c)) continue;  // Balie's own replies, echoed back
    std::optional<inbound_message> m;
    std::string ignored;
    if (type == "m.room.message") {
      m = read_room_message(*content, ignored);
    } else if (type == "m.room.redaction") {
      // Room versions up to 10 name the redacted event at the top; version 11 in the content.
      auto redacts = json_fields::text(e, "redacts");
      if (redacts.empty()) redacts = json_fields::text(*content, "redacts");
      if (is_id(redacts, '$')) {
        m = inbound_message{};
        m->kind = message_kind::redaction;
        m->changes = redacts;
      } else {
        ignored = "m.room.redaction without an event";
      }
    } else {
      ignored = type.empty() ? "(no type)" : type.substr(0, 40);
    }
    if (!m) {
      out.ignored.push_back(ignored);
      continue;
    }
    m->from = sender;
    m->room = room;
    m->id = id;
    m->sent_at = millis(e);
    out.messages.push_back(std::move(*m));
  }
  // Ephemeral events: the spec's name, and MSC2409's before it was stable.
  for (auto const* key : {"ephemeral", "de.sorunome.msc2409.ephemeral"}) {
    auto const* eph = member(j, key);
    if (!eph || !eph->is_array()) continue;
    if (eph->size() > max_events) return messenger_refusal{"ephemeral: too many in one transaction"};
    for (auto const& e : *eph) {
      if (json_fields::text(e, "type") != "m.receipt") continue;
      auto const* content = member(e, "content");
      if (!content || !content->is_object()) continue;
      for (auto const& [event_id, kinds] : content->items()) {
        auto const* read = member(kinds, "m.read");
        if (!is_id(event_id, '$') || !read || !read->is_object()) continue;
        for (auto const& [user, ignored] : read->items())
          if (is_id(user, '@') && !is_own_user(user, c) && out.receipts.size() < max_events) out.receipts.push_back({event_id, user});
      }
    }
  }
  return out;
}

} // namespace balie::messenger
