#pragma once
// Local dates and the words for them. One time zone per installation: the
// process's TZ (balied sets it at start), read through localtime_r/mktime
// because GCC 12's libstdc++ has no std::chrono::locate_zone. Day and month
// names are spelled out here rather than taken from a locale, which the
// machine may not have installed.

#include "channels/case_message.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace balie::calendar {

/// "dinsdag 3 december" (nl) / "Tuesday 3 December" (en): the local date of t, in the words an acknowledgement uses.
std::string format_day(timestamp, std::string_view language);  // language "nl" or "en"; anything else: nl
/// "dinsdag 3 december om 17:00" / "Tuesday 3 December at 17:00"
std::string format_day_time(timestamp, std::string_view language);
/// The local calendar date of t.
std::chrono::year_month_day local_date(timestamp);
/// The instant at `minute` minutes after local midnight of date d (0..1440; 1440 is the next midnight).
/// In a DST gap the clock time that does not exist is taken as the one an hour later (mktime's choice).
timestamp at_local_time(std::chrono::year_month_day d, int minute);

} // namespace balie::calendar
