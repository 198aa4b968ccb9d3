#pragma once
// One entry point for a transcript, whatever transport brought it: pick the
// parser by media type, add transport metadata, check, normalise.

#include "channels/phone/normalise.hpp"

#include <string_view>

namespace balie::channels::phone {

enum class transcript_format { balie_json, webvtt, whisper_json };

/// Media types: `application/json` (Balie), `text/vtt`,
/// `application/vnd.whisper-cpp+json`; a charset other than UTF-8 is refused.
outcome<transcript_format> format_from_content_type(std::string_view content_type);

struct transcript_submission {
  case_message message;
  std::string dedup_key;
};

outcome<transcript_submission> read_transcript(transcript_format, std::string_view body, call_metadata const&,
                                               normalise_context const&);

} // namespace balie::channels::phone
