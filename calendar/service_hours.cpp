// Every question (open now? next opening? answer by?) walks local dates
// forward from the day of `t` and turns that day's windows into instants
// with at_local_time(); nothing adds 24 hours to an instant, which would drift
// by an hour across a DST change. The walk stops after a year (a
// configuration without any hours would otherwise never end). Holidays
// are recomputed per date: a handful of integer operations.
#include "calendar/service_hours.hpp"

#include "calendar/dutch_dates.hpp"

#include <algorithm>
#include <string>

namespace balie::calendar {

namespace {

using namespace std::chrono;
using channels::fail;

/// How far ahead any search looks: a year and a day covers every weekly and yearly pattern.
constexpr int search_days = 366;
constexpr int minutes_per_day = 24 * 60;

struct open_period {
  timestamp from, to;
};

/// The day's windows as instants, in time order; empty on a day that is not a working day.
std::vector<open_period> open_periods(service_hours const& sh, year_month_day d) {
  std::vector<open_period> out;
  if (!is_working_day(sh, d)) return out;
  for (auto const& w : sh.week[weekday{d}.c_encoding()]) out.push_back({at_local_time(d, w.from_minute), at_local_time(d, w.to_minute)});
  std::sort(out.begin(), out.end(), [](auto const& l, auto const& r) { return l.from < r.from; });
  return out;
}

year_month_day plus_days(year_month_day d, int n) { return sys_days{d} + days{n}; }

timestamp nth_working_day_close(service_hours const& sh, timestamp received, int n) {
  auto const arrival = local_date(received);
  for (int i = 1; i <= search_days; ++i) {
    auto const periods = open_periods(sh, plus_days(arrival, i));
    if (!periods.empty() && --n == 0) return periods.back().to;
  }
  return received + days{search_days};
}

timestamp after_open_time(service_hours const& sh, timestamp received, milliseconds needed) {
  auto const arrival = local_date(received);
  for (int i = 0; i <= search_days; ++i)
    for (auto const& p : open_periods(sh, plus_days(arrival, i))) {
      if (p.to <= received) continue;
      auto const start = std::max(p.from, received);
      if (p.to - start >= needed) return start + needed;
      needed -= p.to - start;
    }
  return received + days{search_days};
}

// ---- reading the configuration ----

constexpr char const* day_keys[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr char const* window_shape = "expected [\"HH:MM\", \"HH:MM\"]";

/// "HH:MM" as minutes since midnight; 24:00 only where `end_of_day` allows it.
int read_clock(nlohmann::json const& v, std::string const& path, bool end_of_day) {
  if (!v.is_string()) fail(path, window_shape);
  auto const& s = v.get_ref<std::string const&>();
  auto const digits = [&](std::size_t at) { return s[at] >= '0' && s[at] <= '9'; };
  if (s.size() != 5 || s[2] != ':' || !digits(0) || !digits(1) || !digits(3) || !digits(4)) fail(path, window_shape);
  int const hh = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[3] - '0') * 10 + (s[4] - '0');
  if (hh * 60 + mm == minutes_per_day && end_of_day) return minutes_per_day;
  if (hh > 23 || mm > 59) fail(path, end_of_day ? "not a time of day (00:00-24:00)" : "not a time of day (00:00-23:59)");
  return hh * 60 + mm;
}

std::vector<window> read_day(channels::object_reader& week, char const* key) {
  std::vector<window> windows;
  week.array(key, false, [&](nlohmann::json const& v, std::string const& path) {
    if (!v.is_array() || v.size() != 2) fail(path, window_shape);
    window const w{read_clock(v[0], path, false), read_clock(v[1], path, true)};
    if (w.to_minute <= w.from_minute) fail(path, "closing time must come after opening time");
    if (!windows.empty() && w.from_minute < windows.back().to_minute) fail(path, "windows must be in time order and not overlap");
    windows.push_back(w);
  });
  return windows;
}

/// "YYYY-MM-DD", an existing date.
year_month_day read_date(nlohmann::json const& v, std::string const& path) {
  if (!v.is_string()) fail(path, "expected a date \"YYYY-MM-DD\"");
  auto const& s = v.get_ref<std::string const&>();
  auto const number = [&](std::size_t at, std::size_t len) {
    int n = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') fail(path, "expected a date \"YYYY-MM-DD\"");
      n = n * 10 + (s[i] - '0');
    }
    return n;
  };
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') fail(path, "expected a date \"YYYY-MM-DD\"");
  year_month_day const date{year{number(0, 4)}, month{static_cast<unsigned>(number(5, 2))}, day{static_cast<unsigned>(number(8, 2))}};
  if (!date.ok()) fail(path, "not a calendar date");
  return date;
}

std::string holiday_names() {
  std::string out;
  for (auto h : all_holidays) out += (out.empty() ? "" : ", ") + std::string(to_string(h));
  return out;
}

/// Answer times beyond these are not a service promise but a backlog.
constexpr long long max_working_days = 60;
constexpr long long max_working_hours = 480;

answer_time read_answer_time(channels::object_reader& a) {
  bool const by_days = a.has("working_days"), by_hours = a.has("working_hours");
  if (by_days == by_hours) fail(a.path(), "give exactly one of 'working_days' or 'working_hours'");
  if (by_days) return {answer_time::unit::working_days, static_cast<int>(a.integer("working_days", 0, 1, max_working_days))};
  return {answer_time::unit::working_hours, static_cast<int>(a.integer("working_hours", 0, 1, max_working_hours))};
}

} // namespace

service_hours default_service_hours() {
  service_hours sh;
  for (int d = 1; d <= 5; ++d) sh.week[static_cast<std::size_t>(d)] = {{9 * 60, 17 * 60}};
  sh.closed_on.insert(std::begin(all_holidays), std::end(all_holidays));
  return sh;
}

bool is_working_day(service_hours const& sh, year_month_day d) {
  if (sh.week[weekday{d}.c_encoding()].empty() || sh.closed_dates.count(d)) return false;
  for (auto const& [date, h] : dutch_holidays(d.year()))
    if (date == d && sh.closed_on.count(h)) return false;
  return true;
}

bool is_open(service_hours const& sh, timestamp t) {
  for (auto const& p : open_periods(sh, local_date(t)))
    if (p.from <= t && t < p.to) return true;
  return false;
}

std::optional<timestamp> next_opening(service_hours const& sh, timestamp t) {
  auto const today = local_date(t);
  for (int i = 0; i <= search_days; ++i)
    for (auto const& p : open_periods(sh, plus_days(today, i)))
      if (t < p.to) return std::max(p.from, t);
  return std::nullopt;
}

timestamp answer_by(service_hours const& sh, timestamp received) {
  if (sh.answer.in == answer_time::unit::working_days) return nth_working_day_close(sh, received, sh.answer.amount);
  return after_open_time(sh, received, hours{sh.answer.amount});
}

service_hours read_service_hours(channels::object_reader& inbox) {
  auto sh = default_service_hours();
  inbox.object("hours", false, [&](channels::object_reader& week) {
    for (std::size_t d = 0; d < 7; ++d) sh.week[d] = read_day(week, day_keys[d]);
  });
  inbox.object("holidays", false, [&](channels::object_reader& holidays) {
    for (auto const& [key, _] : holidays.items()) {
      auto const h = holiday_from(key);
      if (!h) fail(holidays.path() + "/" + key, "not a Dutch public holiday; one of " + holiday_names());
      if (holidays.boolean(key, true)) sh.closed_on.insert(*h);
      else sh.closed_on.erase(*h);
    }
  });
  inbox.array("closed_dates", false, [&](nlohmann::json const& v, std::string const& path) { sh.closed_dates.insert(read_date(v, path)); });
  inbox.object("answer_within", false, [&](channels::object_reader& a) { sh.answer = read_answer_time(a); });
  return sh;
}

} // namespace balie::calendar
