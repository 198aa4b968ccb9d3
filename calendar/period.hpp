#pragma once
// A retention term as the Selectielijst writes it and the case-message carries
// it (`classification.retention`): an ISO 8601 period of whole years, months
// and days, "P1Y", "P5Y", "P6M", "P30D", "P1Y6M". Added to a moment by the
// calendar of UTC: a case closed on 29 February is destroyed on 28 February
// (or 1 March) of a later year, never a day early.

#include "channels/case_message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace balie::calendar {

struct period {
  int years = 0;
  int months = 0;
  int days = 0;
  bool operator==(period const&) const = default;
};

/// "P1Y", "P6M", "P1Y6M", "P30D"; nothing else (no weeks, no time part, no zero period).
std::optional<period> parse_period(std::string_view);
std::string to_string(period const&);
/// `t` plus the period, by the UTC calendar; a day past the month's end moves to the month's last day.
timestamp add(timestamp t, period const&);
/// `t` minus the period, the same way: what is older than this has outlived the period by `t`.
timestamp subtract(timestamp t, period const&);

} // namespace balie::calendar
