// Easter Sunday by the Anonymous Gregorian algorithm (Meeus, "Astronomical
// Algorithms", ch. 8): integer arithmetic only, valid for every Gregorian year.
// The other movable feasts are fixed offsets from it. Holidays that fall on
// the same day (Hemelvaart on 5 May, as in 2016) are both listed.
#include "calendar/dutch_holidays.hpp"

#include <algorithm>

namespace balie::calendar {

namespace {

constexpr std::string_view names[] = {"nieuwjaarsdag",  "goede_vrijdag",      "eerste_paasdag",     "tweede_paasdag",
                                      "koningsdag",     "bevrijdingsdag",     "hemelvaartsdag",     "eerste_pinksterdag",
                                      "tweede_pinksterdag", "eerste_kerstdag", "tweede_kerstdag"};
static_assert(std::size(names) == std::size(all_holidays));

std::chrono::sys_days easter_sunday(std::chrono::year y) {
  int const n = static_cast<int>(y);
  int const a = n % 19, b = n / 100, c = n % 100, d = b / 4, e = b % 4;
  int const f = (b + 8) / 25, g = (b - f + 1) / 3;
  int const h = (19 * a + b - d - g + 15) % 30;
  int const i = c / 4, k = c % 4;
  int const l = (32 + 2 * e + 2 * i - h - k) % 7;
  int const m = (a + 11 * h + 22 * l) / 451;
  int const month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
  return std::chrono::sys_days{y / month / day};
}

} // namespace

std::string_view to_string(holiday h) { return names[static_cast<std::size_t>(h)]; }

std::optional<holiday> holiday_from(std::string_view s) {
  for (auto h : all_holidays)
    if (to_string(h) == s) return h;
  return std::nullopt;
}

std::vector<std::pair<std::chrono::year_month_day, holiday>> dutch_holidays(std::chrono::year y) {
  using namespace std::chrono;
  auto const easter = easter_sunday(y);
  // Koningsdag moves to Saturday the 26th when the 27th is a Sunday (Wet vaststelling Koningsdag).
  sys_days koningsdag{y / April / 27};
  if (weekday{koningsdag} == Sunday) koningsdag -= days{1};
  std::vector<std::pair<year_month_day, holiday>> out = {
      {y / January / 1, holiday::nieuwjaarsdag},
      {easter - days{2}, holiday::goede_vrijdag},
      {easter, holiday::eerste_paasdag},
      {easter + days{1}, holiday::tweede_paasdag},
      {koningsdag, holiday::koningsdag},
      {y / May / 5, holiday::bevrijdingsdag},
      {easter + days{39}, holiday::hemelvaartsdag},
      {easter + days{49}, holiday::eerste_pinksterdag},
      {easter + days{50}, holiday::tweede_pinksterdag},
      {y / December / 25, holiday::eerste_kerstdag},
      {y / December / 26, holiday::tweede_kerstdag},
  };
  std::stable_sort(out.begin(), out.end(), [](auto const& l, auto const& r) { return l.first < r.first; });
  return out;
}

} // namespace balie::calendar
