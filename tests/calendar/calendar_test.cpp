// calendar/: holidays, opening hours, answer-by times and their words, in
// Europe/Amsterdam. Every expected date was worked out from the real
// calendar by hand; every expected instant is written in UTC so the test
// checks the time-zone handling instead of re-using it.
#include "calendar/dutch_dates.hpp"
#include "calendar/dutch_holidays.hpp"
#include "calendar/period.hpp"
#include "calendar/service_hours.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

using namespace balie;
using namespace balie::calendar;
using namespace std::chrono;
using nlohmann::json;

namespace {

/// The installation's zone; set in every test case so the host's TZ does not matter.
void in_amsterdam() {
  setenv("TZ", "Europe/Amsterdam", 1);
  tzset();
}

/// An instant written in UTC.
timestamp utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return timestamp{sys_days{year{y} / month{mo} / day{d}}} + hours{h} + minutes{mi};
}

std::string iso(year_month_day d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}

/// "2024-01-01 nieuwjaarsdag\n..." so a mismatch shows the whole year.
std::string listed(int y) {
  std::string out;
  for (auto const& [d, h] : dutch_holidays(year{y})) out += iso(d) + " " + std::string(to_string(h)) + "\n";
  return out;
}

service_hours read(json const& inbox) {
  service_hours out;
  {  // the reader's destructor throws for an unknown key: never while a return value is under way
    channels::object_reader r(inbox, "/inboxes/0");
    out = read_service_hours(r);
  }
  return out;
}

/// The config_error message of reading `inbox`, or "" when it was accepted.
std::string refusal(json const& inbox) {
  try {
    read(inbox);
  } catch (channels::config_error const& e) {
    return e.what();
  }
  return "";
}

service_hours in_working_hours(int n) {
  auto sh = default_service_hours();
  sh.answer = {answer_time::unit::working_hours, n};
  return sh;
}

} // namespace

TEST_CASE("Dutch public holidays: Easter and its feasts, Koningsdag on Saturday when the 27th is a Sunday, in date order") {
  // Easter Sundays: 2024-03-31, 2025-04-20, 2026-04-05, 2027-03-28, 2014-04-20.
  CHECK(listed(2024) ==
        "2024-01-01 nieuwjaarsdag\n2024-03-29 goede_vrijdag\n2024-03-31 eerste_paasdag\n2024-04-01 tweede_paasdag\n"
        "2024-04-27 koningsdag\n2024-05-05 bevrijdingsdag\n2024-05-09 hemelvaartsdag\n2024-05-19 eerste_pinksterdag\n"
        "2024-05-20 tweede_pinksterdag\n2024-12-25 eerste_kerstdag\n2024-12-26 tweede_kerstdag\n");
  CHECK(listed(2025) ==
        "2025-01-01 nieuwjaarsdag\n2025-04-18 goede_vrijdag\n2025-04-20 eerste_paasdag\n2025-04-21 tweede_paasdag\n"
        "2025-04-26 koningsdag\n2025-05-05 bevrijdingsdag\n2025-05-29 hemelvaartsdag\n2025-06-08 eerste_pinksterdag\n"
        "2025-06-09 tweede_pinksterdag\n2025-12-25 eerste_kerstdag\n2025-12-26 tweede_kerstdag\n");
  CHECK(listed(2026) ==
        "2026-01-01 nieuwjaarsdag\n2026-04-03 goede_vrijdag\n2026-04-05 eerste_paasdag\n2026-04-06 tweede_paasdag\n"
        "2026-04-27 koningsdag\n2026-05-05 bevrijdingsdag\n2026-05-14 hemelvaartsdag\n2026-05-24 eerste_pinksterdag\n"
        "2026-05-25 tweede_pinksterdag\n2026-12-25 eerste_kerstdag\n2026-12-26 tweede_kerstdag\n");
  CHECK(listed(2027) ==
        "2027-01-01 nieuwjaarsdag\n2027-03-26 goede_vrijdag\n2027-03-28 eerste_paasdag\n2027-03-29 tweede_paasdag\n"
        "2027-04-27 koningsdag\n2027-05-05 bevrijdingsdag\n2027-05-06 hemelvaartsdag\n2027-05-16 eerste_pinksterdag\n"
        "2027-05-17 tweede_pinksterdag\n2027-12-25 eerste_kerstdag\n2027-12-26 tweede_kerstdag\n");
  // The first Koningsdag: 27 April 2014 was a Sunday.
  CHECK(listed(2014).find("2014-04-26 koningsdag\n") != std::string::npos);
  // 2016: Easter on 27 March puts Hemelvaart on Bevrijdingsdag; both are listed.
  CHECK(listed(2016).find("2016-05-05 bevrijdingsdag\n2016-05-05 hemelvaartsdag\n") != std::string::npos);
}

TEST_CASE("holiday names are the configuration keys and read back") {
  for (auto h : all_holidays) CHECK(holiday_from(to_string(h)) == h);
  CHECK(to_string(holiday::goede_vrijdag) == "goede_vrijdag");
  CHECK(!holiday_from("kerstavond"));
  CHECK(!holiday_from("Koningsdag"));
}

TEST_CASE("answer by, in working days: the day of arrival never counts, weekends and closed holidays are skipped") {
  in_amsterdam();
  auto sh = default_service_hours();
  struct row {
    char const* what;
    timestamp received, expected;
  };
  row const rows[] = {
      // Friday 4 Dec 2026 15:00 CET -> Mon 7 (1), Tue 8 (2) at 17:00 CET.
      {"across a weekend", utc(2026, 12, 4, 14), utc(2026, 12, 8, 16)},
      // Saturday 5 Dec 2026 11:00 -> Mon 7 (1), Tue 8 (2).
      {"received on a Saturday", utc(2026, 12, 5, 10), utc(2026, 12, 8, 16)},
      // Friday 4 Dec 2026 08:00, before opening: the day of arrival still does not count.
      {"received before opening", utc(2026, 12, 4, 7), utc(2026, 12, 8, 16)},
      // Thursday 24 Dec 2026 10:00 -> Fri 25 Kerstmis, Sat 26, Sun 27, Mon 28 (1), Tue 29 (2).
      {"across Christmas", utc(2026, 12, 24, 9), utc(2026, 12, 29, 16)},
      // Thursday 2 Apr 2026 10:00 CEST -> Fri 3 Goede Vrijdag, Mon 6 Paasmaandag, Tue 7 (1), Wed 8 (2) at 17:00 CEST.
      {"across Easter", utc(2026, 4, 2, 8), utc(2026, 4, 8, 15)},
      // Saturday 28 Mar 2026 12:00 CET; clocks go forward Sunday 29 Mar -> Mon 30 (1), Tue 31 (2) at 17:00+02:00.
      {"received the Saturday before summer time", utc(2026, 3, 28, 11), utc(2026, 3, 31, 15)},
      // Sunday 29 Mar 2026 01:30 CET, half an hour before the change -> the same Tuesday.
      {"received in the night of the change", utc(2026, 3, 29, 0, 30), utc(2026, 3, 31, 15)},
      // Friday 23 Oct 2026 15:00 CEST; clocks go back Sunday 25 Oct -> Mon 26 (1), Tue 27 (2) at 17:00+01:00.
      {"across the end of summer time", utc(2026, 10, 23, 13), utc(2026, 10, 27, 16)},
      // Friday 24 Apr 2026 -> Mon 27 Koningsdag, Tue 28 (1), Wed 29 (2).
      {"across Koningsdag", utc(2026, 4, 24, 10), utc(2026, 4, 29, 15)},
  };
  for (auto const& r : rows) CHECK_MESSAGE(answer_by(sh, r.received) == r.expected, r.what);

  sh.answer.amount = 1;
  CHECK(answer_by(sh, utc(2026, 12, 4, 14)) == utc(2026, 12, 7, 16));  // Friday -> Monday 17:00

  // Goede Vrijdag open: Fri 3 Apr (1), Mon 6 Paasmaandag closed, Tue 7 (2).
  sh = default_service_hours();
  sh.closed_on.erase(holiday::goede_vrijdag);
  CHECK(answer_by(sh, utc(2026, 4, 2, 8)) == utc(2026, 4, 7, 15));
}

TEST_CASE("answer by: extra closed dates are skipped, and a day with a lunch break closes at the end of its last window") {
  in_amsterdam();
  auto sh = default_service_hours();
  // Wednesday 13 May 2026 10:00 CEST: Thu 14 Hemelvaart, Fri 15 open -> Fri 15 (1), Mon 18 (2).
  CHECK(answer_by(sh, utc(2026, 5, 13, 8)) == utc(2026, 5, 18, 15));
  // The day after Hemelvaart closed too -> Mon 18 (1), Tue 19 (2).
  sh.closed_dates.insert(2026y / May / 15);
  CHECK(answer_by(sh, utc(2026, 5, 13, 8)) == utc(2026, 5, 19, 15));

  auto lunch = default_service_hours();
  for (auto d : {1, 2, 3, 4, 5}) lunch.week[static_cast<std::size_t>(d)] = {{8 * 60 + 30, 12 * 60}, {13 * 60, 16 * 60 + 30}};
  // Friday 4 Dec 2026 -> Tuesday 8 Dec 16:30 CET.
  CHECK(answer_by(lunch, utc(2026, 12, 4, 14)) == utc(2026, 12, 8, 15, 30));
}

TEST_CASE("answer by, in working hours: open time counted from arrival or the next opening, across days and DST") {
  in_amsterdam();
  auto const sh = in_working_hours(8);
  // Friday 4 Dec 2026 16:00 CET: 1 hour Friday, 7 hours Monday from 09:00 -> Monday 16:00 CET.
  CHECK(answer_by(sh, utc(2026, 12, 4, 15)) == utc(2026, 12, 7, 15));
  // Friday 20:00: counted from Monday 09:00 -> Monday 17:00, the closing time itself.
  CHECK(answer_by(sh, utc(2026, 12, 4, 19)) == utc(2026, 12, 7, 16));
  // Friday 27 Mar 2026 16:00 CET: 1 hour, then Monday 30 Mar 09:00 CEST + 7 hours = 16:00 CEST.
  CHECK(answer_by(sh, utc(2026, 3, 27, 15)) == utc(2026, 3, 30, 14));
  // Thursday 24 Dec 2026 16:30: half an hour, then Monday 28 Dec 09:00 + 7.5 hours = 16:30 CET.
  CHECK(answer_by(sh, utc(2026, 12, 24, 15, 30)) == utc(2026, 12, 28, 15, 30));

  auto lunch = in_working_hours(2);
  lunch.week[1] = {{8 * 60 + 30, 12 * 60}, {13 * 60, 16 * 60 + 30}};
  // Monday 7 Dec 2026 11:00 CET: 11-12, lunch, 13-14 -> 14:00 CET.
  CHECK(answer_by(lunch, utc(2026, 12, 7, 10)) == utc(2026, 12, 7, 13));
}

TEST_CASE("an inbox without any hours still gets an answer-by time, a year and a day ahead, and never opens") {
  in_amsterdam();
  service_hours none;
  auto const t = utc(2026, 12, 4, 14);
  CHECK(answer_by(none, t) == t + days{366});
  none.answer = {answer_time::unit::working_hours, 8};
  CHECK(answer_by(none, t) == t + days{366});
  CHECK(!next_opening(none, t));
  CHECK(!is_open(none, t));
}

TEST_CASE("open at 09:00, closed at 17:00, closed on holidays and closed dates") {
  in_amsterdam();
  auto sh = default_service_hours();
  CHECK(!is_open(sh, utc(2026, 12, 7, 7, 59)));                       // Monday 08:59 CET
  CHECK(!is_open(sh, utc(2026, 12, 7, 8) - milliseconds{1}));
  CHECK(is_open(sh, utc(2026, 12, 7, 8)));                            // 09:00
  CHECK(is_open(sh, utc(2026, 12, 7, 16) - milliseconds{1}));         // 16:59:59.999
  CHECK(!is_open(sh, utc(2026, 12, 7, 16)));                          // 17:00
  CHECK(is_open(sh, utc(2026, 7, 6, 7)));                             // Monday 6 July 09:00 CEST
  CHECK(!is_open(sh, utc(2026, 7, 6, 15)));                           // 17:00 CEST
  CHECK(!is_open(sh, utc(2026, 12, 5, 10)));                          // Saturday
  CHECK(!is_open(sh, utc(2026, 12, 25, 9)));                          // Kerstmis, a Friday
  CHECK(!is_open(sh, utc(2026, 4, 27, 8)));                           // Koningsdag, a Monday, 10:00 CEST
  CHECK(!is_working_day(sh, 2026y / April / 27));
  sh.closed_on.erase(holiday::koningsdag);
  CHECK(is_open(sh, utc(2026, 4, 27, 8)));
  CHECK(is_working_day(sh, 2026y / April / 27));
  sh.closed_dates.insert(2026y / December / 24);
  CHECK(!is_open(sh, utc(2026, 12, 24, 9)));
  CHECK(!is_working_day(sh, 2026y / December / 24));
  CHECK(is_working_day(sh, 2026y / December / 23));
  CHECK(!is_working_day(sh, 2026y / December / 26));  // Saturday and tweede kerstdag
}

TEST_CASE("next opening: now when open, else the next window's start on a working day") {
  in_amsterdam();
  auto const sh = default_service_hours();
  CHECK(next_opening(sh, utc(2026, 12, 7, 10)) == utc(2026, 12, 7, 10));      // Monday 11:00, open
  CHECK(next_opening(sh, utc(2026, 12, 4, 19)) == utc(2026, 12, 7, 8));       // Friday 20:00 -> Monday 09:00
  CHECK(next_opening(sh, utc(2026, 12, 4, 16)) == utc(2026, 12, 7, 8));       // Friday 17:00 -> Monday 09:00
  CHECK(next_opening(sh, utc(2026, 12, 24, 16)) == utc(2026, 12, 28, 8));     // Christmas Eve 17:00 -> Monday 28th
  CHECK(next_opening(sh, utc(2026, 3, 27, 17)) == utc(2026, 3, 30, 7));       // over the DST weekend: 09:00 CEST
  auto lunch = default_service_hours();
  lunch.week[1] = {{8 * 60 + 30, 12 * 60}, {13 * 60, 16 * 60 + 30}};
  CHECK(next_opening(lunch, utc(2026, 12, 7, 11, 15)) == utc(2026, 12, 7, 12));  // 12:15 -> 13:00 CET
}

TEST_CASE("the words for a day in Dutch and English, in local time") {
  in_amsterdam();
  CHECK(format_day(utc(2026, 12, 4, 14), "nl") == "vrijdag 4 december");
  CHECK(format_day(utc(2026, 12, 4, 14), "en") == "Friday 4 December");
  CHECK(format_day(utc(2026, 12, 4, 14), "de") == "vrijdag 4 december");
  // 23:30 UTC on Friday is 00:30 on Saturday in Amsterdam.
  CHECK(format_day(utc(2026, 12, 4, 23, 30), "nl") == "zaterdag 5 december");
  CHECK(local_date(utc(2026, 12, 4, 23, 30)) == 2026y / December / 5);
  CHECK(local_date(utc(2026, 12, 4, 22, 59)) == 2026y / December / 4);
  CHECK(format_day_time(utc(2026, 12, 8, 16), "nl") == "dinsdag 8 december om 17:00");
  CHECK(format_day_time(utc(2026, 12, 8, 16), "en") == "Tuesday 8 December at 17:00");
  CHECK(format_day_time(utc(2026, 4, 8, 15), "nl") == "woensdag 8 april om 17:00");  // CEST
  CHECK(format_day_time(utc(2026, 3, 1, 8, 5), "en") == "Sunday 1 March at 09:05");
  CHECK(format_day_time(utc(2027, 1, 1, 0), "nl") == "vrijdag 1 januari om 01:00");
  CHECK(at_local_time(2026y / March / 31, 17 * 60) == utc(2026, 3, 31, 15));
  CHECK(at_local_time(2026y / December / 8, 24 * 60) == utc(2026, 12, 8, 23));  // 24:00 is the next midnight
}

TEST_CASE("an inbox's hours section: every key optional, the defaults without any") {
  in_amsterdam();
  CHECK(read(json::object()) == default_service_hours());

  auto const sh = read(json::parse(R"({
    "hours": {"mon": [["08:30", "12:00"], ["13:00", "17:00"]], "tue": [["09:00", "17:00"]], "sat": [["10:00", "24:00"]], "sun": []},
    "holidays": {"goede_vrijdag": false, "bevrijdingsdag": false, "koningsdag": true},
    "closed_dates": ["2026-05-15", "2026-12-24"],
    "answer_within": {"working_hours": 8}
  })"));
  service_hours expected;
  expected.week[1] = {{8 * 60 + 30, 12 * 60}, {13 * 60, 17 * 60}};
  expected.week[2] = {{9 * 60, 17 * 60}};
  expected.week[6] = {{10 * 60, 24 * 60}};
  expected.closed_on = {holiday::nieuwjaarsdag,  holiday::eerste_paasdag,     holiday::tweede_paasdag,
                        holiday::koningsdag,     holiday::hemelvaartsdag,     holiday::eerste_pinksterdag,
                        holiday::tweede_pinksterdag, holiday::eerste_kerstdag, holiday::tweede_kerstdag};
  expected.closed_dates = {2026y / May / 15, 2026y / December / 24};
  expected.answer = {answer_time::unit::working_hours, 8};
  CHECK(sh == expected);

  CHECK(read(json::parse(R"({"answer_within": {"working_days": 5}})")).answer == answer_time{answer_time::unit::working_days, 5});
}

TEST_CASE("a hostile hours section is refused with the key's path and the reason") {
  struct row {
    char const* section;
    char const* message;
  };
  row const rows[] = {
      {R"({"hours": {"mon": [["9:00", "17:00"]]}})", "/inboxes/0/hours/mon/0: expected [\"HH:MM\", \"HH:MM\"]"},
      {R"({"hours": {"mon": [["09:00"]]}})", "/inboxes/0/hours/mon/0: expected [\"HH:MM\", \"HH:MM\"]"},
      {R"({"hours": {"mon": ["09:00-17:00"]}})", "/inboxes/0/hours/mon/0: expected [\"HH:MM\", \"HH:MM\"]"},
      {R"({"hours": {"tue": [["09:00", "17:00"], ["17:00", "08:00"]]}})", "/inboxes/0/hours/tue/1: closing time must come after opening time"},
      {R"({"hours": {"wed": [["09:00", "09:00"]]}})", "/inboxes/0/hours/wed/0: closing time must come after opening time"},
      {R"({"hours": {"thu": [["13:00", "17:00"], ["09:00", "12:00"]]}})", "/inboxes/0/hours/thu/1: windows must be in time order"},
      {R"({"hours": {"fri": [["09:60", "17:00"]]}})", "/inboxes/0/hours/fri/0: not a time of day"},
      {R"({"hours": {"fri": [["24:00", "24:00"]]}})", "/inboxes/0/hours/fri/0: not a time of day"},
      {R"({"hours": {"fri": [["09:00", "24:30"]]}})", "/inboxes/0/hours/fri/0: not a time of day"},
      {R"({"hours": {"monday": [["09:00", "17:00"]]}})", "/inboxes/0/hours/monday: unknown key"},
      {R"({"hours": [["09:00", "17:00"]]})", "/inboxes/0/hours: expected an object"},
      {R"({"holidays": {"kerstavond": false}})", "/inboxes/0/holidays/kerstavond: not a Dutch public holiday"},
      {R"({"holidays": {"koningsdag": "no"}})", "/inboxes/0/holidays/koningsdag: expected true or false"},
      {R"({"closed_dates": ["2026-02-30"]})", "/inboxes/0/closed_dates/0: not a calendar date"},
      {R"({"closed_dates": ["2026-12-24", "24-12-2026"]})", "/inboxes/0/closed_dates/1: expected a date \"YYYY-MM-DD\""},
      {R"({"closed_dates": ["2026-1-05"]})", "/inboxes/0/closed_dates/0: expected a date \"YYYY-MM-DD\""},
      {R"({"closed_dates": "2026-12-24"})", "/inboxes/0/closed_dates: expected a list"},
      {R"({"answer_within": {"working_days": 2, "working_hours": 8}})", "/inboxes/0/answer_within: give exactly one of"},
      {R"({"answer_within": {}})", "/inboxes/0/answer_within: give exactly one of"},
      {R"({"answer_within": {"working_days": 0}})", "/inboxes/0/answer_within/working_days: must be between 1 and 60"},
      {R"({"answer_within": {"working_days": 61}})", "/inboxes/0/answer_within/working_days: must be between 1 and 60"},
      {R"({"answer_within": {"working_hours": 481}})", "/inboxes/0/answer_within/working_hours: must be between 1 and 480"},
      {R"({"answer_within": {"working_hours": 1.5}})", "/inboxes/0/answer_within/working_hours: expected an integer"},
      {R"({"answer_within": {"working_days": 2, "calendar_days": 3}})", "/inboxes/0/answer_within/calendar_days: unknown key"},
      {R"({"openingstijden": {}})", "/inboxes/0/openingstijden: unknown key"},
  };
  for (auto const& r : rows) {
    auto const why = refusal(json::parse(r.section));
    CHECK_MESSAGE(why.find(r.message) != std::string::npos, r.section, " gave: ", why);
  }
}

TEST_CASE("a retention period is whole years, months and days, added by the UTC calendar") {
  CHECK(parse_period("P1Y") == period{1, 0, 0});
  CHECK(parse_period("P5Y") == period{5, 0, 0});
  CHECK(parse_period("P1Y6M") == period{1, 6, 0});
  CHECK(parse_period("P30D") == period{0, 0, 30});
  CHECK(to_string(period{1, 6, 0}) == "P1Y6M");
  for (auto const* bad : {"", "P", "1Y", "P0Y", "PY", "P1W", "PT1H", "P1M1Y", "P1Y1Y", "P-1Y", "P1Y ", "P99999Y", "p1y"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_period(bad));
  }
  // Closed on 3 March 2025 at 10:15 UTC: one year later is 3 March 2026 at 10:15 UTC.
  auto const closed = timestamp{sys_days{2025y / March / 3} + hours{10} + minutes{15}};
  CHECK(add(closed, period{1, 0, 0}) == timestamp{sys_days{2026y / March / 3} + hours{10} + minutes{15}});
  CHECK(add(closed, period{0, 0, 30}) == timestamp{sys_days{2025y / April / 2} + hours{10} + minutes{15}});
  // 29 February plus a year is the last day of February, never a day early into the month before.
  CHECK(add(timestamp{sys_days{2024y / February / 29}}, period{1, 0, 0}) == timestamp{sys_days{2025y / February / 28}});
  CHECK(add(timestamp{sys_days{2025y / August / 31}}, period{0, 6, 0}) == timestamp{sys_days{2026y / February / 28}});
}
