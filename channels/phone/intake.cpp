#include "channels/phone/intake.hpp"

#include "channels/phone/formats.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

namespace balie::channels::phone {
namespace {

bool looks_like_whisper_json(std::string_view body) {
  auto const j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || j.contains("segments")) return false;
  auto const tr = j.find("transcription");
  return tr != j.end() && tr->is_array();
}

} // namespace

outcome<transcript_format> format_from_content_type(std::string_view content_type) {
  auto const lower = ascii_lower(content_type);
  std::string_view v = lower;
  auto const semi = v.find(';');
  auto const type = trim(v.substr(0, semi));
  if (semi != std::string_view::npos) {
    auto params = v.substr(semi + 1);
    while (!params.empty()) {
      auto const next = params.find(';');
      auto const param = trim(params.substr(0, next));
      if (param.rfind("charset=", 0) == 0) {
        auto cs = param.substr(8);
        if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
        if (cs != "utf-8" && cs != "utf8")
          return reject(415, "unsupported-charset", "Transcripts must be sent as UTF-8.", "Content-Type");
      }
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
    }
  }
  if (type == "application/json") return transcript_format::balie_json;
  if (type == "text/vtt") return transcript_format::webvtt;
  if (type == "application/vnd.whisper-cpp+json") return transcript_format::whisper_json;
  return reject(415, "unsupported-media-type",
                "Send a transcript as application/json, text/vtt or application/vnd.whisper-cpp+json.", "Content-Type");
}

outcome<transcript_submission> read_transcript(transcript_format format, std::string_view body,
                                               call_metadata const& meta, normalise_context const& ctx) {
  auto parsed = format == transcript_format::balie_json ? parse_balie_json(body)
                : format == transcript_format::webvtt   ? parse_webvtt(body)
                                                        : parse_whisper_json(body);
  // A phone platform that pipes `whisper-cli -oj` output naturally labels it
  // application/json: recognised by its shape, a top-level `transcription` list.
  if (!parsed && format == transcript_format::balie_json && looks_like_whisper_json(body)) parsed = parse_whisper_json(body);
  if (!parsed) return parsed.error();
  auto& t = *parsed;
  if (auto r = apply_metadata(t, meta)) return *r;
  if (auto r = check_transcript(t)) return *r;
  return transcript_submission{normalise(t, ctx), dedup_key(t)};
}

} // namespace balie::channels::phone
