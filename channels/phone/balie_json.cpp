// Balie's own transcript JSON: the format a phone platform integration writes
// when it can choose. Unknown top-level keys are refused so that a typo
// ("calback_requested") is an error, not a silently lost flag.
#include "channels/phone/formats.hpp"

#include "channels/text.hpp"
#include "channels/time_format.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace balie::channels::phone {
namespace {
using json = nlohmann::json;

rejection wrong_type(std::string const& pointer, std::string const& what) {
  return reject(422, "invalid-field", "The field must be " + what + ".", pointer);
}
} // namespace

outcome<call_transcript> parse_balie_json(std::string_view body) {
  if (!is_valid_utf8(body)) return reject(400, "invalid-utf8", "The body is not valid UTF-8.");
  auto const j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return reject(400, "invalid-json", "The body is not valid JSON.");
  if (!j.is_object()) return reject(422, "invalid-field", "The transcript must be a JSON object.", "");

  static const std::set<std::string> known = {"call_id",  "caller",   "started_at",   "ended_at",
                                              "language", "automatic", "engine",      "relay_service",
                                              "callback_requested", "segments"};
  for (auto const& [key, _] : j.items())
    if (!known.count(key)) return reject(422, "unknown-field", "The field '" + key + "' is not part of the format.", "/" + key);

  call_transcript t;
  t.source = "balie-json";
  auto text = [&](char const* key, std::optional<std::string>& out) -> std::optional<rejection> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) return wrong_type(std::string("/") + key, "a string");
    out = it->get<std::string>();
    return std::nullopt;
  };
  auto time = [&](char const* key, std::optional<timestamp>& out) -> std::optional<rejection> {
    std::optional<std::string> s;
    if (auto r = text(key, s)) return r;
    if (!s) return std::nullopt;
    out = parse_rfc3339(*s);
    if (!out) return reject(422, "invalid-timestamp", "The time must be an RFC 3339 timestamp.", std::string("/") + key);
    return std::nullopt;
  };
  auto flag = [&](char const* key, bool& out) -> std::optional<rejection> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) return wrong_type(std::string("/") + key, "true or false");
    out = it->get<bool>();
    return std::nullopt;
  };

  std::optional<std::string> call_id, caller, language;
  if (auto r = text("call_id", call_id)) return *r;
  if (auto r = text("caller", caller)) return *r;
  if (auto r = text("language", language)) return *r;
  if (auto r = text("engine", t.engine)) return *r;
  if (auto r = text("relay_service", t.relay_service)) return *r;
  if (auto r = time("started_at", t.started_at)) return *r;
  if (auto r = time("ended_at", t.ended_at)) return *r;
  if (auto r = flag("automatic", t.automatic)) return *r;
  if (auto r = flag("callback_requested", t.callback_requested)) return *r;
  t.call_id = call_id.value_or("");
  if (language) {
    if (language->size() != 3) return reject(422, "invalid-language", "The language must be an ISO 639-3 code such as 'nld'.", "/language");
    t.language = ascii_lower(*language);
  }
  if (caller) {
    auto n = normalise_caller_number(*caller);
    if (!n) return n.error();
    t.caller_number = *n;
  }

  auto segs = j.find("segments");
  if (segs == j.end() || !segs->is_array()) return reject(422, "empty-transcript", "The field 'segments' must be a list.", "/segments");
  for (std::size_t i = 0; i < segs->size(); ++i) {
    auto const& s = (*segs)[i];
    auto const where = "/segments/" + std::to_string(i);
    if (!s.is_object()) return wrong_type(where, "an object");
    transcript_segment seg;
    auto sp = s.find("speaker");
    if (sp == s.end() || !sp->is_string()) return wrong_type(where + "/speaker", "one of resident, staff, ivr, interpreter, unknown");
    auto role = speaker_from(sp->get<std::string>());
    if (!role) return wrong_type(where + "/speaker", "one of resident, staff, ivr, interpreter, unknown");
    seg.speaker = *role;
    for (auto [key, out] : {std::pair{"start_ms", &seg.start_ms}, std::pair{"end_ms", &seg.end_ms}}) {
      auto it = s.find(key);
      if (it == s.end() || !it->is_number_integer()) return wrong_type(where + "/" + key, "a whole number of milliseconds");
      *out = it->get<std::int64_t>();
    }
    auto tx = s.find("text");
    if (tx == s.end() || !tx->is_string()) return wrong_type(where + "/text", "a string");
    seg.text = tx->get<std::string>();
    if (auto c = s.find("confidence"); c != s.end() && !c->is_null()) {
      if (!c->is_number()) return wrong_type(where + "/confidence", "a number between 0 and 1");
      seg.confidence = c->get<double>();
    }
    if (auto l = s.find("speaker_label"); l != s.end() && !l->is_null()) {
      if (!l->is_string()) return wrong_type(where + "/speaker_label", "a string");
      seg.speaker_label = l->get<std::string>();
    }
    t.segments.push_back(std::move(seg));
  }
  return t;
}

} // namespace balie::channels::phone
