#pragma once
// The masking layer under every log line: whatever a caller passes, no BSN,
// phone number, email address or IBAN reaches the log. It is deliberately
// blunt (STANDARDS.md, tier one): every run of 8 or more digits, grouped or
// not, is masked without a checksum, so a date like 2026-11-28 is masked too.

#include <string>
#include <string_view>

namespace balie::server {

std::string mask_personal_data(std::string_view);

} // namespace balie::server
