#pragma once
// BSN (burgerservicenummer) detection with the 11-proef, for classifying
// content as confidential. Log masking is stricter (every 8–9 digit run) and
// lives in gateway/log_mask; this is the content tier from STANDARDS.md.

#include <string_view>

namespace balie {

/// `digits` is 8 or 9 ASCII digits; 8 digits are read with a leading zero.
bool passes_elfproef(std::string_view digits);

/// True when `text` holds a number that passes the 11-proef, written plainly
/// (`123456782`) or grouped (`123.456.782`, `123 456 782`); digits that are
/// part of a longer digit run never count.
bool contains_possible_bsn(std::string_view text);

/// Calls `f(begin, end, digits)` for each 8–9 digit number in `text` (plain or grouped
/// by 3 with '.', ' ' or '-'), not part of a longer digit run. Shared by the
/// BSN check and the log mask.
template <class F>
void for_each_digit_number(std::string_view text, F&& f);

} // namespace balie

#include "channels/bsn_scan.ipp"
