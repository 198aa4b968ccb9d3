#pragma once
// The transcript formats Balie reads. Each parser is pure: bytes in, a
// call_transcript or a rejection out; shared rules run afterwards in
// check_transcript.

#include "channels/phone/transcript.hpp"

#include <string_view>

namespace balie::channels::phone {

/// Balie's own transcript JSON (`application/json`), documented in README.md.
outcome<call_transcript> parse_balie_json(std::string_view body);

/// WebVTT (`text/vtt`) with `<v Speaker>` voice spans.
outcome<call_transcript> parse_webvtt(std::string_view body);

/// whisper.cpp `-oj`/`-ojf` output (`application/vnd.whisper-cpp+json`).
outcome<call_transcript> parse_whisper_json(std::string_view body);

} // namespace balie::channels::phone
