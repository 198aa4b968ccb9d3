// JSON in and out for the case-message. Writing is straightforward; reading is
// strict and never throws: every field is type-checked and an unknown enum
// value, a missing required field or a bad timestamp is a rejection naming the
// field's JSON pointer. Optional fields that are absent stay absent on output,
// so a message read and written again is byte-for-byte the same object.
#include "channels/case_message.hpp"

#include "channels/time_format.hpp"

#include <array>
#include <stdexcept>
#include <utility>

namespace balie {

void throw_exception_from_error(rejection const& r, boost::source_location const&) {
  throw std::logic_error("outcome has no value: " + r.type + ": " + r.detail);
}

namespace {

template <class E, std::size_t N>
struct enum_names {
  std::array<std::pair<E, std::string_view>, N> names;
  std::string_view to(E e) const {
    for (auto const& [v, n] : names)
      if (v == e) return n;
    return {};
  }
  std::optional<E> from(std::string_view s) const {
    for (auto const& [v, n] : names)
      if (n == s) return v;
    return std::nullopt;
  }
};

constexpr enum_names<direction, 2> direction_names{{{{direction::inbound, "inbound"}, {direction::outbound, "outbound"}}}};
constexpr enum_names<channel, 5> channel_names{{{{channel::email, "email"},
                                                  {channel::sms, "sms"},
                                                  {channel::webchat, "webchat"},
                                                  {channel::phone, "phone"},
                                                  {channel::messenger, "messenger"}}}};
constexpr enum_names<priority, 4> priority_names{
    {{{priority::low, "low"}, {priority::normal, "normal"}, {priority::high, "high"}, {priority::urgent, "urgent"}}}};
constexpr enum_names<resident_need, 7> need_names{{{{resident_need::screen_reader, "screen-reader"},
                                                     {resident_need::plain_language, "plain-language"},
                                                     {resident_need::large_text, "large-text"},
                                                     {resident_need::sign_language, "sign-language"},
                                                     {resident_need::text_relay, "text-relay"},
                                                     {resident_need::interpreter, "interpreter"},
                                                     {resident_need::callback, "callback"}}}};
constexpr enum_names<speaker, 5> speaker_names{{{{speaker::resident, "resident"},
                                                  {speaker::staff, "staff"},
                                                  {speaker::ivr, "ivr"},
                                                  {speaker::interpreter, "interpreter"},
                                                  {speaker::unknown, "unknown"}}}};

using json = nlohmann::json;

/// A cursor over a JSON object that records the first problem it meets.
class reader {
public:
  reader(json const& j, std::string pointer) : j_(j), pointer_(std::move(pointer)) {}

  std::optional<rejection> const& problem() const { return problem_; }
  void fail(std::string const& key, std::string detail) {
    if (!problem_) problem_ = reject(422, "invalid-case-message", std::move(detail), pointer_ + "/" + key);
  }
  json const* field(std::string const& key, bool required) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) fail(key, "The field '" + key + "' is required.");
      return nullptr;
    }
    return &*it;
  }
  std::optional<std::string> text(std::string const& key, bool required) {
    auto const* v = field(key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      fail(key, "The field '" + key + "' must be a string.");
      return std::nullopt;
    }
    return v->get<std::string>();
  }
  std::string required_text(std::string const& key) { return text(key, true).value_or(std::string{}); }
  bool boolean(std::string const& key, bool fallback) {
    auto const* v = field(key, false);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "The field '" + key + "' must be true or false.");
    return v->is_boolean() ? v->get<bool>() : fallback;
  }
  std::int64_t integer(std::string const& key, bool required) {
    auto const* v = field(key, required);
    if (!v) return 0;
    if (!v->is_number_integer()) fail(key, "The field '" + key + "' must be an integer.");
    return v->is_number_integer() ? v->get<std::int64_t>() : 0;
  }
  timestamp time(std::string const& key, bool required) {
    auto const s = text(key, required);
    if (!s) return timestamp{};
    auto t = parse_rfc3339(*s);
    if (!t) fail(key, "The field '" + key + "' must be an RFC 3339 timestamp.");
    return t.value_or(timestamp{});
  }
  template <class E, std::size_t N>
  E enumerated(std::string const& key, enum_names<E, N> const& names, E fallback, bool required) {
    auto const s = text(key, required);
    if (!s) return fallback;
    auto e = names.from(*s);
    if (!e) fail(key, "The field '" + key + "' has an unknown value.");
    return e.value_or(fallback);
  }
  template <class F>
  void each(std::string const& key, F&& f) {
    auto const* v = field(key, false);
    if (!v) return;
    if (!v->is_array()) return fail(key, "The field '" + key + "' must be a list.");
    for (std::size_t i = 0; i < v->size() && !problem_; ++i) f((*v)[i], pointer_ + "/" + key + "/" + std::to_string(i));
  }
  template <class F>
  void object(std::string const& key, bool required, F&& f) {
    auto const* v = field(key, required);
    if (!v) return;
    if (!v->is_object()) return fail(key, "The field '" + key + "' must be an object.");
    f(*v, pointer_ + "/" + key);
  }
  void adopt(std::optional<rejection> const& p) {
    if (!problem_ && p) problem_ = p;
  }

private:
  json const& j_;
  std::string pointer_;
  std::optional<rejection> problem_;
};

template <class Nested, class F>
void nested(reader& parent, json const& j, std::string const& pointer, F&& f) {
  if (!j.is_object()) {
    parent.adopt(reject(422, "invalid-case-message", "Each entry must be an object.", pointer));
    return;
  }
  reader r(j, pointer);
  f(r);
  parent.adopt(r.problem());
}

} // namespace

std::string_view to_string(direction v) { return direction_names.to(v); }
std::string channel_names_list() {
  std::string out;
  for (auto c : all_channels) out += (out.empty() ? "" : ", ") + std::string(to_string(c));
  return out;
}

std::string_view to_string(channel v) { return channel_names.to(v); }
std::string_view to_string(priority v) { return priority_names.to(v); }
std::string_view to_string(resident_need v) { return need_names.to(v); }
std::string_view to_string(speaker v) { return speaker_names.to(v); }
std::optional<direction> direction_from(std::string_view s) { return direction_names.from(s); }
std::optional<channel> channel_from(std::string_view s) { return channel_names.from(s); }
std::optional<priority> priority_from(std::string_view s) { return priority_names.from(s); }
std::optional<resident_need> resident_need_from(std::string_view s) { return need_names.from(s); }
std::optional<speaker> speaker_from(std::string_view s) { return speaker_names.from(s); }

json to_json(case_message const& m) {
  json resident = {{"addresses", json::array()},
                   {"language", m.resident.language},
                   {"identity_assurance", m.resident.identity_assurance},
                   {"needs", json::array()}};
  if (m.resident.name) resident["name"] = *m.resident.name;
  for (auto const& a : m.resident.addresses) resident["addresses"].push_back({{"kind", a.kind}, {"value", a.value}});
  for (auto n : m.resident.needs) resident["needs"].push_back(to_string(n));

  json j = {{"schema", case_message::schema},
            {"id", m.id},
            {"case_id", m.case_id},
            {"reference", m.reference},
            {"direction", to_string(m.direction)},
            {"channel", to_string(m.channel)},
            {"provider", m.provider},
            {"provider_message_id", m.provider_message_id},
            {"occurred_at", format_rfc3339(m.occurred_at)},
            {"received_at", format_rfc3339(m.received_at)},
            {"resident", std::move(resident)},
            {"text", m.text},
            {"attachments", json::array()},
            {"classification",
             {{"confidential", m.classification.confidential},
              {"possible_bsn", m.classification.possible_bsn},
              {"retention", m.classification.retention}}},
            {"auto_generated", m.auto_generated}};
  if (m.subject) j["subject"] = *m.subject;
  for (auto const& a : m.attachments)
    j["attachments"].push_back({{"filename", a.filename},
                                {"content_type", a.content_type},
                                {"size", a.size},
                                {"sha256", a.sha256},
                                {"ref", a.ref}});
  if (m.transcript) {
    json t = {{"segments", json::array()}, {"automatic", m.transcript->automatic}};
    for (auto const& s : m.transcript->segments) {
      json seg = {{"speaker", to_string(s.speaker)}, {"start_ms", s.start_ms}, {"end_ms", s.end_ms}, {"text", s.text}};
      if (s.speaker_label) seg["speaker_label"] = *s.speaker_label;
      if (s.confidence) seg["confidence"] = *s.confidence;
      t["segments"].push_back(std::move(seg));
    }
    if (m.transcript->engine) t["engine"] = *m.transcript->engine;
    if (m.transcript->relay_service) t["relay_service"] = *m.transcript->relay_service;
    j["transcript"] = std::move(t);
  }
  if (m.routing) {
    j["routing"] = {{"inbox", m.routing->inbox}, {"priority", to_string(m.routing->priority)}, {"rule", m.routing->rule}};
    if (m.routing->topic) j["routing"]["topic"] = *m.routing->topic;
  }
  if (!m.parse_warnings.empty()) j["parse_warnings"] = m.parse_warnings;
  if (m.received_while_off) j["received_while_off"] = true;
  if (m.in_reply_to) j["in_reply_to"] = *m.in_reply_to;
  if (m.addressed_to) j["addressed_to"] = *m.addressed_to;
  if (m.delivery) {
    j["delivery"] = {{"status", m.delivery->status},
                     {"attempts", m.delivery->attempts},
                     {"updated_at", format_rfc3339(m.delivery->updated_at)}};
    if (m.delivery->last_error) j["delivery"]["last_error"] = *m.delivery->last_error;
  }
  if (m.traceparent) j["trace"] = {{"traceparent", *m.traceparent}};
  return j;
}

outcome<case_message> case_message_from_json(json const& j) {
  if (!j.is_object()) return reject(422, "invalid-case-message", "A case-message must be a JSON object.");
  reader r(j, "");
  case_message m;
  if (r.required_text("schema") != case_message::schema && !r.problem())
    r.fail("schema", "The schema must be balie.case-message/1.");
  m.id = r.required_text("id");
  m.case_id = r.required_text("case_id");
  m.reference = r.required_text("reference");
  if (m.reference.size() > 10) r.fail("reference", "The reference is at most 10 characters.");
  m.direction = r.enumerated("direction", direction_names, direction::inbound, true);
  m.channel = r.enumerated("channel", channel_names, channel::phone, true);
  m.provider = r.required_text("provider");
  m.provider_message_id = r.required_text("provider_message_id");
  m.occurred_at = r.time("occurred_at", true);
  m.received_at = r.time("received_at", true);
  r.object("resident", true, [&](json const& rj, std::string const& p) {
    nested<resident_info>(r, rj, p, [&](reader& rr) {
      m.resident.name = rr.text("name", false);
      m.resident.language = rr.text("language", false).value_or("nld");
      m.resident.identity_assurance = rr.text("identity_assurance", false).value_or("none");
      rr.each("addresses", [&](json const& aj, std::string const& ap) {
        nested<digital_address>(rr, aj, ap, [&](reader& ar) {
          m.resident.addresses.push_back({ar.required_text("kind"), ar.required_text("value")});
        });
      });
      rr.each("needs", [&](json const& nj, std::string const& np) {
        auto n = nj.is_string() ? need_names.from(nj.get<std::string>()) : std::nullopt;
        if (!n) rr.adopt(reject(422, "invalid-case-message", "Unknown resident need.", np));
        else m.resident.needs.push_back(*n);
      });
    });
  });
  m.subject = r.text("subject", false);
  m.text = r.text("text", true).value_or("");
  r.each("attachments", [&](json const& aj, std::string const& p) {
    nested<attachment>(r, aj, p, [&](reader& ar) {
      attachment a;
      a.filename = ar.required_text("filename");
      a.content_type = ar.required_text("content_type");
      a.size = static_cast<std::uint64_t>(ar.integer("size", true));
      a.sha256 = ar.required_text("sha256");
      a.ref = ar.required_text("ref");
      m.attachments.push_back(std::move(a));
    });
  });
  r.object("transcript", false, [&](json const& tj, std::string const& p) {
    nested<transcript_info>(r, tj, p, [&](reader& tr) {
      transcript_info t;
      t.automatic = tr.boolean("automatic", false);
      t.engine = tr.text("engine", false);
      t.relay_service = tr.text("relay_service", false);
      tr.each("segments", [&](json const& sj, std::string const& sp) {
        nested<transcript_segment>(tr, sj, sp, [&](reader& sr) {
          transcript_segment s;
          s.speaker = sr.enumerated("speaker", speaker_names, speaker::unknown, true);
          s.speaker_label = sr.text("speaker_label", false);
          s.start_ms = sr.integer("start_ms", true);
          s.end_ms = sr.integer("end_ms", true);
          s.text = sr.required_text("text");
          if (auto const* c = sr.field("confidence", false)) {
            if (c->is_number()) s.confidence = c->get<double>();
            else sr.fail("confidence", "The confidence must be a number.");
          }
          t.segments.push_back(std::move(s));
        });
      });
      m.transcript = std::move(t);
    });
  });
  r.object("routing", false, [&](json const& rj, std::string const& p) {
    nested<routing_info>(r, rj, p, [&](reader& rr) {
      routing_info ri;
      ri.inbox = rr.required_text("inbox");
      ri.priority = rr.enumerated("priority", priority_names, priority::normal, true);
      ri.topic = rr.text("topic", false);
      ri.rule = rr.required_text("rule");
      m.routing = std::move(ri);
    });
  });
  r.object("classification", true, [&](json const& cj, std::string const& p) {
    nested<classification_info>(r, cj, p, [&](reader& cr) {
      m.classification.confidential = cr.boolean("confidential", false);
      m.classification.possible_bsn = cr.boolean("possible_bsn", false);
      m.classification.retention = cr.required_text("retention");
    });
  });
  m.auto_generated = r.boolean("auto_generated", false);
  m.received_while_off = r.boolean("received_while_off", false);
  r.each("parse_warnings", [&](json const& wj, std::string const& wp) {
    if (!wj.is_string()) r.adopt(reject(422, "invalid-case-message", "A parse warning must be a string.", wp));
    else m.parse_warnings.push_back(wj.get<std::string>());
  });
  m.in_reply_to = r.text("in_reply_to", false);
  m.addressed_to = r.text("addressed_to", false);
  r.object("delivery", false, [&](json const& dj, std::string const& p) {
    nested<delivery_info>(r, dj, p, [&](reader& dr) {
      delivery_info d;
      d.status = dr.required_text("status");
      d.attempts = static_cast<int>(dr.integer("attempts", true));
      d.last_error = dr.text("last_error", false);
      d.updated_at = dr.time("updated_at", true);
      m.delivery = std::move(d);
    });
  });
  r.object("trace", false, [&](json const& tj, std::string const& p) {
    nested<std::string>(r, tj, p, [&](reader& tr) { m.traceparent = tr.text("traceparent", false); });
  });
  if (r.problem()) return *r.problem();
  return m;
}

} // namespace balie
