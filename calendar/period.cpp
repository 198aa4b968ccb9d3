#include "calendar/period.hpp"

#include <charconv>

namespace balie::calendar {

std::optional<period> parse_period(std::string_view s) {
  if (s.size() < 3 || s.front() != 'P') return std::nullopt;
  s.remove_prefix(1);
  period p;
  char last = 0;  // the designators must come in order Y, M, D, each once
  while (!s.empty()) {
    int n = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || end == s.data() || end == s.data() + s.size() || n < 0 || n > 1000) return std::nullopt;
    char const unit = *end;
    auto const order = std::string_view("YMD").find(unit);
    if (order == std::string_view::npos || (last && order <= std::string_view("YMD").find(last))) return std::nullopt;
    (unit == 'Y' ? p.years : unit == 'M' ? p.months : p.days) = n;
    last = unit;
    s.remove_prefix(static_cast<std::size_t>(end - s.data()) + 1);
  }
  if (p == period{}) return std::nullopt;
  return p;
}

std::string to_string(period const& p) {
  std::string out = "P";
  if (p.years) out += std::to_string(p.years) + "Y";
  if (p.months) out += std::to_string(p.months) + "M";
  if (p.days) out += std::to_string(p.days) + "D";
  return out;
}

timestamp add(timestamp t, period const& p) {
  using namespace std::chrono;
  auto const day = floor<days>(t);
  auto const time_of_day = t - day;
  year_month_day date{day};
  auto ym = year_month{date.year(), date.month()} + years{p.years} + months{p.months};
  auto const last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
  year_month_day const moved{ym.year(), ym.month(), std::min(date.day(), last)};
  return time_point_cast<milliseconds>(sys_days{moved} + days{p.days} + time_of_day);
}

timestamp subtract(timestamp t, period const& p) { return add(t, period{-p.years, -p.months, -p.days}); }

} // namespace balie::calendar
