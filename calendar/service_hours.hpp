#pragma once
// When an inbox is staffed, and from that the promise Balie makes to every
// resident ("you get an answer by at the latest ...") and the deadline the
// watchdog checks. Opening hours are per weekday in local clock time; public
// holidays and extra dates close a day. All arithmetic is on local dates,
// turned into instants per window, so a DST change moves nothing.

#include "calendar/dutch_holidays.hpp"
#include "channels/case_message.hpp"
#include "channels/config_reader.hpp"

#include <array>
#include <chrono>
#include <optional>
#include <set>
#include <vector>

namespace balie::calendar {

/// Minutes since local midnight, [from, to); to may be 1440 (24:00).
struct window {
  int from_minute = 0;
  int to_minute = 0;
  bool operator==(window const&) const = default;
};

/// How soon a resident gets an answer.
struct answer_time {
  enum class unit { working_days, working_hours } in = unit::working_days;
  int amount = 2;
  bool operator==(answer_time const&) const = default;
};

/// One inbox's opening hours, closed days and answer time.
struct service_hours {
  std::array<std::vector<window>, 7> week;             ///< index 0 = Sunday; windows in time order, not overlapping
  std::set<holiday> closed_on;                         ///< holidays on which the inbox is closed
  std::set<std::chrono::year_month_day> closed_dates;  ///< extra closed dates (e.g. the day after Hemelvaart)
  answer_time answer;
  bool operator==(service_hours const&) const = default;
};

/// Mon–Fri 09:00–17:00, every holiday closed, 2 working days.
service_hours default_service_hours();
/// Inside a window on a working day.
bool is_open(service_hours const&, timestamp);
/// Has a window, is not a closed holiday, is not a closed date.
bool is_working_day(service_hours const&, std::chrono::year_month_day);

/// When the resident gets an answer at the latest, for a message received at `t`:
///  - working_days N: the closing time (end of the last window) of the N-th working day AFTER the local day of `t`
///    (the day of arrival never counts, also not when it arrived during opening hours: the conservative promise).
///  - working_hours N: N hours of open time counted from `t` (from the next opening if `t` is outside hours).
/// Always returns a time; without a working day within 366 days (no hours at all), t + 366 days.
timestamp answer_by(service_hours const&, timestamp received);
/// The next moment the inbox opens at or after t (t itself if open now); nullopt if none within 366 days.
std::optional<timestamp> next_opening(service_hours const&, timestamp);

/// Reads one inbox's "hours", "holidays", "closed_dates" and "answer_within" (each optional, each strict);
/// throws channels::config_error naming the JSON pointer and the reason.
service_hours read_service_hours(channels::object_reader&);

} // namespace balie::calendar
