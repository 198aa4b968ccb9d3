#pragma once
// How many SMS parts a text needs (3GPP TS 23.038 / 23.040): text that fits
// the GSM 7-bit alphabet takes 160 characters in one part and 153 per part
// when concatenated, characters of the extension table (€ [ ] { } ~ ^ \ |
// and form feed) count twice; any other character makes the whole text
// UCS-2: 70 in one part, 67 per part, counted in UTF-16 code units.

#include <string_view>

namespace balie {

struct sms_size {
  bool gsm7 = true;
  std::size_t units = 0;     ///< septets (GSM-7) or UTF-16 code units (UCS-2)
  std::size_t segments = 0;  ///< 0 for an empty text
};

/// `text` must be valid UTF-8.
sms_size sms_segments(std::string_view text);

/// Whether a phone would show part of `text` as a link: a scheme, www., or a
/// domain under a common top-level domain. SMS from the municipality carry
/// none unless configured: residents cannot tell them from phishing.
bool has_web_address(std::string_view text);

} // namespace balie
