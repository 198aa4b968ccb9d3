// Rules every transcript format shares. The parsers only turn bytes into a
// call_transcript; whether that transcript is acceptable is decided here, once.
#include "channels/phone/transcript.hpp"

#include "channels/addresses.hpp"

#include "channels/text.hpp"

namespace balie::channels::phone {

std::optional<rejection> check_transcript(call_transcript const& t) {
  if (t.call_id.empty())
    return reject(422, "missing-call-id",
                  "The call id is missing. Send it in the body or in the Balie-Call-Id header.", "/call_id");
  if (t.call_id.size() > max_call_id_bytes)
    return reject(422, "invalid-call-id", "The call id is longer than 128 characters.", "/call_id");
  for (unsigned char c : t.call_id)
    if (c < 0x21 || c > 0x7E)
      return reject(422, "invalid-call-id", "The call id may only contain visible ASCII characters.", "/call_id");
  if (t.segments.empty()) return reject(422, "empty-transcript", "The transcript has no segments.", "/segments");
  if (t.segments.size() > max_segments)
    return reject(413, "too-many-segments", "The transcript has more than 20000 segments.", "/segments");
  bool any_text = false;
  for (std::size_t i = 0; i < t.segments.size(); ++i) {
    auto const& s = t.segments[i];
    auto const where = "/segments/" + std::to_string(i);
    if (!is_valid_utf8(s.text)) return reject(400, "invalid-utf8", "A segment's text is not valid UTF-8.", where + "/text");
    if (s.text.size() > max_segment_bytes)
      return reject(413, "segment-too-large", "A segment's text is longer than 64 KiB.", where + "/text");
    if (s.start_ms < 0) return reject(422, "invalid-timestamp", "A segment starts before the call.", where + "/start_ms");
    if (s.end_ms < s.start_ms)
      return reject(422, "timestamps-backwards", "A segment ends before it starts.", where + "/end_ms");
    if (i > 0 && s.start_ms < t.segments[i - 1].start_ms)
      return reject(422, "timestamps-backwards", "A segment starts before the segment in front of it.",
                    where + "/start_ms");
    if (s.confidence && (*s.confidence < 0.0 || *s.confidence > 1.0))
      return reject(422, "invalid-confidence", "A confidence must be between 0 and 1.", where + "/confidence");
    any_text = any_text || !trim(s.text).empty();
  }
  if (!any_text) return reject(422, "empty-transcript", "All segments of the transcript are empty.", "/segments");
  if (t.caller_number && !is_valid_utf8(*t.caller_number))
    return reject(400, "invalid-utf8", "The caller number is not valid UTF-8.", "/caller");
  if (t.started_at && t.ended_at && *t.ended_at < *t.started_at)
    return reject(422, "timestamps-backwards", "The call ends before it starts.", "/ended_at");
  return std::nullopt;
}

std::optional<rejection> apply_metadata(call_transcript& t, call_metadata const& meta) {
  if (meta.call_id) {
    if (!t.call_id.empty() && t.call_id != *meta.call_id)
      return reject(422, "call-id-mismatch", "The call id in the header differs from the one in the body.", "/call_id");
    t.call_id = *meta.call_id;
  }
  if (meta.caller_number && !t.caller_number) {
    auto caller = normalise_caller_number(*meta.caller_number);
    if (!caller) return caller.error();
    t.caller_number = *caller;
  }
  if (meta.started_at && !t.started_at) t.started_at = meta.started_at;
  if (meta.relay_service && !t.relay_service) t.relay_service = meta.relay_service;
  t.callback_requested = t.callback_requested || meta.callback_requested;
  return std::nullopt;
}

speaker speaker_from_label(std::string_view label) {
  auto const l = ascii_lower(trim(label));
  for (auto const* s : {"medewerker", "agent", "staff", "gemeente", "internal", "klantcontactcentrum"})
    if (l == s) return speaker::staff;
  for (auto const* s : {"inwoner", "beller", "resident", "caller", "burger", "klant", "customer", "external"})
    if (l == s) return speaker::resident;
  for (auto const* s : {"tolk", "interpreter", "teletolk"})
    if (l == s) return speaker::interpreter;
  for (auto const* s : {"ivr", "keuzemenu", "system"})
    if (l == s) return speaker::ivr;
  return speaker::unknown;
}

outcome<std::optional<std::string>> normalise_caller_number(std::string_view raw) {
  auto const v = trim(raw);
  auto const lower = ascii_lower(v);
  if (v.empty() || lower == "anonymous" || lower == "anoniem" || lower == "unknown")
    return std::optional<std::string>{};
  auto const number = read_phone_number(v);
  if (number.error == phone_number::problem::not_digits)
    return reject(422, "invalid-caller-number", "The caller number contains characters that are not digits.", "/caller");
  if (number.error == phone_number::problem::wrong_length)
    return reject(422, "invalid-caller-number", "The caller number has too few or too many digits.", "/caller");
  if (number.error == phone_number::problem::no_country_code)
    return reject(422, "invalid-caller-number", "The caller number has no country code (it starts with +0 or 000).", "/caller");
  return std::optional<std::string>{number.e164};
}

} // namespace balie::channels::phone
