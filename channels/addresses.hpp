#pragma once
// Checks on the addresses a reply may go to. Deliberately strict: a reply
// address comes from what the resident gave, and one that fails these
// checks would fail at the provider anyway, later and less clearly.

#include <optional>
#include <string>
#include <string_view>

namespace balie {

/// local@domain, as SMTP can carry it: printable, no spaces or CR/LF, one
/// '@', a dotted domain of letters, digits and hyphens (or UTF-8), at most
/// 254 octets.
bool is_valid_email_address(std::string_view);

/// An E.164 number: '+', then 8 to 15 digits, the first not 0.
bool is_e164(std::string_view);

/// A phone number as people write it — `+31 6 00000000`, `06-00000000`,
/// `0031600000000` — read into E.164 (national numbers are Dutch), or why not.
struct phone_number {
  enum class problem { none, not_digits, wrong_length, no_country_code };
  std::string e164;
  problem error = problem::none;
};
phone_number read_phone_number(std::string_view);

} // namespace balie
