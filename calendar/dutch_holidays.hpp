#pragma once
// The Dutch public holidays (algemeen erkende feestdagen) of a year, computed
// rather than listed, so no table runs out. Whether an inbox is closed on one
// is the municipality's choice (calendar/service_hours.hpp); this file only
// says which day is which. The names are the configuration keys.

#include <chrono>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace balie::calendar {

enum class holiday { nieuwjaarsdag, goede_vrijdag, eerste_paasdag, tweede_paasdag, koningsdag, bevrijdingsdag,
                     hemelvaartsdag, eerste_pinksterdag, tweede_pinksterdag, eerste_kerstdag, tweede_kerstdag };

/// The configuration key: "nieuwjaarsdag", "goede_vrijdag", ...
std::string_view to_string(holiday);
std::optional<holiday> holiday_from(std::string_view);
/// Every holiday, in the order of the year.
inline constexpr holiday all_holidays[] = {
    holiday::nieuwjaarsdag,  holiday::goede_vrijdag,      holiday::eerste_paasdag,     holiday::tweede_paasdag,
    holiday::koningsdag,     holiday::bevrijdingsdag,     holiday::hemelvaartsdag,     holiday::eerste_pinksterdag,
    holiday::tweede_pinksterdag, holiday::eerste_kerstdag, holiday::tweede_kerstdag};

/// The Dutch public holidays of year y, in date order. Easter by the Gregorian computus (Anonymous/Meeus).
/// Koningsdag 27 April, the 26th when the 27th is a Sunday. Bevrijdingsdag 5 May every year (whether it is a day off is the municipality's switch).
std::vector<std::pair<std::chrono::year_month_day, holiday>> dutch_holidays(std::chrono::year);

} // namespace balie::calendar
