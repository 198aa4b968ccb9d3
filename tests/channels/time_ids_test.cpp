#include "channels/ids.hpp"
#include "channels/time_format.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <set>

using namespace balie;
using namespace std::chrono;

TEST_CASE("RFC 3339: formatting is UTC with milliseconds, parsing applies offsets") {
  auto const t = sys_days{2026y / November / 28} + hours{9} + minutes{5} + seconds{7} + milliseconds{42};
  CHECK(format_rfc3339(time_point_cast<milliseconds>(t)) == "2026-11-28T09:05:07.042Z");
  CHECK(parse_rfc3339("2026-11-28T10:05:07.042+01:00") == time_point_cast<milliseconds>(t));
  CHECK(parse_rfc3339("2026-11-28T09:05:07.0429Z") == time_point_cast<milliseconds>(t));
  CHECK(parse_rfc3339("2026-11-28T09:05:07Z").has_value());
}

TEST_CASE("RFC 3339: malformed timestamps are refused") {
  for (auto s : {"2026-11-28", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-28T09:05:07", "2026-11-28T25:00:00Z",
                 "2026-11-28T09:05:07.Z", "2026-11-28T09:05:07Zjunk", "next tuesday"})
    CHECK_MESSAGE(!parse_rfc3339(s), s);
}

TEST_CASE("ULIDs sort by time and references are short and readable") {
  id_source ids;
  auto const t1 = time_point_cast<milliseconds>(sys_days{2026y / November / 28});
  auto const a = ids.ulid(t1);
  auto const b = ids.ulid(t1 + milliseconds{1});
  CHECK(a.size() == 26);
  CHECK(a < b);
  std::regex const crockford("[0-9A-HJKMNP-TV-Z]{26}");
  CHECK(std::regex_match(a, crockford));
  std::set<std::string> refs;
  for (int i = 0; i < 1000; ++i) {
    auto const r = ids.case_reference();
    CHECK(std::regex_match(r, std::regex("BL-[0-9A-HJKMNP-TV-Z]{6}")));
    refs.insert(r);
  }
  CHECK(refs.size() > 990);
}

TEST_CASE("two id sources created at the same instant mint different ids (kernel CSPRNG, no seed)") {
  auto const t = time_point_cast<milliseconds>(sys_days{2026y / December / 2});
  id_source a, b;
  std::set<std::string> ids, refs;
  for (int i = 0; i < 100; ++i) {
    ids.insert(a.ulid(t));
    ids.insert(b.ulid(t));
    refs.insert(a.case_reference());
    refs.insert(b.case_reference());
  }
  CHECK(ids.size() == 200);
  CHECK(refs.size() > 195);  // 30 bits per reference: a rare collision is possible, not a pattern
}
