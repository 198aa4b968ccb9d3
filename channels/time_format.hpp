#pragma once
// RFC 3339 timestamps in UTC with millisecond precision, the only time format
// Balie writes. Parsing accepts any offset and normalises to UTC.

#include "channels/case_message.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace balie {

/// The injected clock: production passes the system clock, tests a fixed one.
using clock_fn = std::function<timestamp()>;
timestamp system_now();

std::string format_rfc3339(timestamp);
std::optional<timestamp> parse_rfc3339(std::string_view);

} // namespace balie
