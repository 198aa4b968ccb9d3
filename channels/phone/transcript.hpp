#pragma once
// A phone call's transcript as the parsers read it, before normalisation into
// a case-message. Three source formats feed it (Balie's own JSON, WebVTT and
// whisper.cpp JSON); `check_transcript` holds the rules they share.

#include "channels/case_message.hpp"

#include <optional>
#include <string>
#include <vector>

namespace balie::channels::phone {

/// What a transport (HTTP headers, spool file name) says about a call, for
/// formats that cannot carry it themselves.
struct call_metadata {
  std::optional<std::string> call_id;
  std::optional<std::string> caller_number;
  std::optional<timestamp> started_at;
  std::optional<std::string> relay_service;
  bool callback_requested = false;
};

struct call_transcript {
  std::string call_id;
  std::optional<std::string> caller_number;  ///< absent for anonymous callers
  std::optional<timestamp> started_at;
  std::optional<timestamp> ended_at;
  std::string language = "nld";
  std::string source;                        ///< balie-json, webvtt, whisper.cpp
  bool automatic = false;
  std::optional<std::string> engine;
  std::optional<std::string> relay_service;
  bool callback_requested = false;
  std::vector<transcript_segment> segments;
};

/// Bounds on what one call may contain, checked once in check_transcript (the
/// body size limit already bounds the parsers' memory); a transcript past them
/// is refused rather than truncated, so staff never read half a conversation.
inline constexpr std::size_t max_segments = 20'000;        // ~5.5 h at one segment per second
inline constexpr std::size_t max_segment_bytes = 64 * 1024;
inline constexpr std::size_t max_call_id_bytes = 128;

/// Shared validation: call id present and sane, at least one non-empty
/// segment, every segment's end not before its start, starts never going
/// backwards, valid UTF-8 throughout.
std::optional<rejection> check_transcript(call_transcript const&);

/// Fills the fields a format cannot carry from transport metadata; a call id
/// given both ways must agree.
std::optional<rejection> apply_metadata(call_transcript&, call_metadata const&);

/// Maps a free-text speaker label ("Medewerker", "Inwoner", "AGENT", ...) to a role.
speaker speaker_from_label(std::string_view label);

/// Accepts E.164-like caller numbers (`+31600000000`), Dutch national forms
/// (`0600000000`) and "anonymous"; returns the E.164 form or nullopt for anonymous.
outcome<std::optional<std::string>> normalise_caller_number(std::string_view);

} // namespace balie::channels::phone
