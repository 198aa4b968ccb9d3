// The only place that converts between instants and local clock time;
// service_hours.cpp builds on local_date and at_local_time so that DST is
// handled once, by the C library, with tm_isdst = -1 ("find out yourself").
#include "calendar/dutch_dates.hpp"

#include <cstdio>
#include <ctime>

namespace balie::calendar {

namespace {

std::tm local_tm(timestamp t) {
  auto const secs = static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count());
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

constexpr char const* dutch_weekdays[] = {"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"};
constexpr char const* english_weekdays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr char const* dutch_months[] = {"januari", "februari", "maart",     "april",   "mei",      "juni",
                                        "juli",    "augustus", "september", "oktober", "november", "december"};
constexpr char const* english_months[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};

std::string day_words(std::tm const& tm, bool english) {
  auto const weekday = static_cast<std::size_t>(tm.tm_wday), month = static_cast<std::size_t>(tm.tm_mon);
  return std::string(english ? english_weekdays[weekday] : dutch_weekdays[weekday]) + " " + std::to_string(tm.tm_mday) + " " +
         (english ? english_months[month] : dutch_months[month]);
}

} // namespace

std::string format_day(timestamp t, std::string_view language) { return day_words(local_tm(t), language == "en"); }

std::string format_day_time(timestamp t, std::string_view language) {
  auto const tm = local_tm(t);
  bool const english = language == "en";
  char clock[8];
  std::snprintf(clock, sizeof clock, "%02d:%02d", tm.tm_hour, tm.tm_min);
  return day_words(tm, english) + (english ? " at " : " om ") + clock;
}

std::chrono::year_month_day local_date(timestamp t) {
  auto const tm = local_tm(t);
  return std::chrono::year{tm.tm_year + 1900} / std::chrono::month{static_cast<unsigned>(tm.tm_mon + 1)} /
         std::chrono::day{static_cast<unsigned>(tm.tm_mday)};
}

timestamp at_local_time(std::chrono::year_month_day d, int minute) {
  std::tm tm{};
  tm.tm_year = static_cast<int>(d.year()) - 1900;
  tm.tm_mon = static_cast<int>(static_cast<unsigned>(d.month())) - 1;
  tm.tm_mday = static_cast<int>(static_cast<unsigned>(d.day()));
  tm.tm_hour = minute / 60;  // 24:00 is normalised by mktime to the next day's 00:00
  tm.tm_min = minute % 60;
  tm.tm_isdst = -1;
  return timestamp{std::chrono::seconds{std::mktime(&tm)}};
}

} // namespace balie::calendar
