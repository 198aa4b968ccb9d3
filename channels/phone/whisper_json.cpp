// whisper.cpp JSON output (`-oj`, or `-ojf` with tokens). Offsets are in
// milliseconds. Confidence is the mean token probability over non-special
// tokens (special tokens look like `[_BEG_]`), absent without `-ojf`.
// whisper.cpp has no reliable diarisation, so speakers stay `unknown` unless
// a segment carries a `speaker` field (stereo `-di` output).
#include "channels/phone/formats.hpp"

#include "channels/text.hpp"

#include <nlohmann/json.hpp>

namespace balie::channels::phone {
namespace {
using json = nlohmann::json;

/// ISO 639-1 codes whisper reports → ISO 639-3 used by the case-message.
std::string iso639_3(std::string_view two) {
  static constexpr std::pair<std::string_view, std::string_view> map[] = {
      {"nl", "nld"}, {"en", "eng"}, {"de", "deu"}, {"fr", "fra"}, {"tr", "tur"}, {"ar", "ara"},
      {"pl", "pol"}, {"es", "spa"}, {"uk", "ukr"}, {"fy", "fry"}, {"pt", "por"}, {"it", "ita"}};
  for (auto const& [a, b] : map)
    if (a == two) return std::string(b);
  return "und";
}
} // namespace

outcome<call_transcript> parse_whisper_json(std::string_view body) {
  if (!is_valid_utf8(body)) return reject(400, "invalid-utf8", "The body is not valid UTF-8.");
  auto const j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return reject(400, "invalid-json", "The body is not valid JSON.");
  if (!j.is_object()) return reject(422, "invalid-field", "The whisper.cpp output must be a JSON object.", "");
  auto const tr = j.find("transcription");
  if (tr == j.end() || !tr->is_array())
    return reject(422, "invalid-field", "The whisper.cpp output has no 'transcription' list.", "/transcription");

  call_transcript t;
  t.source = "whisper.cpp";
  t.automatic = true;
  t.engine = "whisper.cpp";
  if (auto m = j.find("model"); m != j.end() && m->is_object())
    if (auto type = m->find("type"); type != m->end() && type->is_string()) *t.engine += " " + type->get<std::string>();
  if (auto r = j.find("result"); r != j.end() && r->is_object())
    if (auto l = r->find("language"); l != r->end() && l->is_string()) t.language = iso639_3(l->get<std::string>());

  for (std::size_t i = 0; i < tr->size(); ++i) {
    auto const& s = (*tr)[i];
    auto const where = "/transcription/" + std::to_string(i);
    if (!s.is_object()) return reject(422, "invalid-field", "Each transcription entry must be an object.", where);
    auto const off = s.find("offsets");
    if (off == s.end() || !off->is_object() || !off->contains("from") || !off->contains("to") ||
        !(*off)["from"].is_number_integer() || !(*off)["to"].is_number_integer())
      return reject(422, "invalid-field", "Each entry needs 'offsets' with whole 'from' and 'to' milliseconds.", where + "/offsets");
    auto const text = s.find("text");
    if (text == s.end() || !text->is_string()) return reject(422, "invalid-field", "Each entry needs a 'text' string.", where + "/text");
    transcript_segment seg;
    seg.start_ms = (*off)["from"].get<std::int64_t>();
    seg.end_ms = (*off)["to"].get<std::int64_t>();
    seg.text = std::string(trim(text->get<std::string>()));
    if (auto sp = s.find("speaker"); sp != s.end() && sp->is_string()) {
      seg.speaker_label = sp->get<std::string>();
      seg.speaker = speaker_from_label(*seg.speaker_label);
    }
    if (auto tokens = s.find("tokens"); tokens != s.end() && tokens->is_array()) {
      double sum = 0;
      int n = 0;
      for (auto const& tok : *tokens) {
        if (!tok.is_object()) continue;
        auto const tt = tok.find("text");
        auto const p = tok.find("p");
        if (tt == tok.end() || p == tok.end() || !tt->is_string() || !p->is_number()) continue;
        if (tt->get_ref<std::string const&>().rfind("[_", 0) == 0) continue;
        sum += p->get<double>();
        ++n;
      }
      if (n > 0) seg.confidence = sum / n;
    }
    t.segments.push_back(std::move(seg));
  }
  if (t.segments.empty()) return reject(422, "empty-transcript", "The whisper.cpp output has no segments.", "/transcription");
  return t;
}

} // namespace balie::channels::phone
