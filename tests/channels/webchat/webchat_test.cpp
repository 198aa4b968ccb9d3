// The web-chat protocol without I/O: frames in and out, resident text
// cleaning, the per-connection token bucket, Origin matching and opening hours.
#include "channels/webchat/protocol.hpp"
#include "server/token_bucket.hpp"
#include "server/address_limits.hpp"
#include "channels/webchat/chat_service.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

using namespace balie;
using namespace balie::webchat;

TEST_CASE("client frames: hello and message parse; anything else is refused with the protocol's error code") {
  auto h = parse_client_frame(R"({"v":1,"type":"hello","token":"abc","last_seq":41})");
  REQUIRE(h.has_value());
  CHECK(std::get<hello>(*h).token == "abc");
  CHECK(std::get<hello>(*h).last_seq == 41);
  auto m = parse_client_frame(R"({"v":1,"type":"message","client_id":"c-1_x","text":"  Hallo  "})");
  REQUIRE(m.has_value());
  CHECK(std::get<resident_message>(*m).text == "Hallo");

  struct bad_case {
    char const* frame;
    char const* code;
  };
  for (auto const& bad : {bad_case{"not json", "invalid-json"}, bad_case{"[1]", "invalid-json"},
                                    bad_case{R"({"type":"hello","token":"a"})", "invalid-message"},
                                    bad_case{R"({"v":2,"type":"hello","token":"a"})", "invalid-message"},
                                    bad_case{R"({"v":1,"type":"hello"})", "invalid-message"},
                                    bad_case{R"({"v":1,"type":"hello","token":"a","last_seq":-1})", "invalid-message"},
                                    bad_case{R"({"v":1,"type":"message","text":"x"})", "invalid-message"},
                                    bad_case{R"({"v":1,"type":"message","client_id":"a b","text":"x"})", "invalid-message"},
                                    bad_case{R"({"v":1,"type":"message","client_id":"a","text":"   "})", "invalid-message"},
                                    bad_case{R"({"v":1,"type":"typing"})", "invalid-message"}}) {
    auto const frame = bad.frame, code = bad.code;  // named variables: clang 14 cannot capture a structured binding
    CAPTURE(frame);
    auto const r = parse_client_frame(frame);
    REQUIRE(!r.has_value());
    CHECK(r.error().type == code);
  }
}

TEST_CASE("resident text: trimmed, NFC, no bidi or control characters, at most 4000 characters") {
  CHECK(*clean_resident_text("Zoe\xCC\x88") == "Zo\xC3\xAB");                            // e + combining diaeresis → ë
  CHECK(*clean_resident_text("abc\xE2\x80\xAE" "def") == "abcdef");                        // U+202E right-to-left override
  CHECK(*clean_resident_text("regel 1\nregel 2\x07") == "regel 1\nregel 2");
  CHECK(clean_resident_text(std::string(4000, 'a')).has_value());
  auto const long_text = clean_resident_text(std::string(4001, 'a'));
  REQUIRE(!long_text.has_value());
  CHECK(long_text.error().type == "too-long");
  std::string four_thousand_euros;
  for (int i = 0; i < 4000; ++i) four_thousand_euros += "€";
  CHECK(clean_resident_text(four_thousand_euros).has_value());  // characters, not bytes
  CHECK(!clean_resident_text("\xFF").has_value());
}

TEST_CASE("server frames carry v, type and their fields") {
  auto const msg = nlohmann::json::parse(msg_frame({7, "01M8", "staff", "Hallo", "2026-11-28T10:00:00Z"}));
  CHECK(msg == nlohmann::json{{"v", 1}, {"type", "msg"}, {"seq", 7}, {"id", "01M8"}, {"from", "staff"}, {"text", "Hallo"},
                              {"at", "2026-11-28T10:00:00Z"}});
  CHECK(nlohmann::json::parse(ack_frame("c1", 3, "01M9"))["seq"] == 3);
  CHECK(nlohmann::json::parse(error_frame("rate-limited", 2))["retry_after"] == 2);
  CHECK(!nlohmann::json::parse(error_frame("invalid-json")).contains("retry_after"));
}

TEST_CASE("token bucket: a burst, then the sustained rate") {
  server::token_bucket b(1.0, 3.0);
  auto const t = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK(b.take(t));
  CHECK(b.take(t));
  CHECK(b.take(t));
  CHECK(!b.take(t));
  CHECK(b.wait_seconds(t) == 1);
  CHECK(!b.take(t + std::chrono::milliseconds(900)));
  CHECK(b.take(t + std::chrono::milliseconds(1000)));
  CHECK(b.take(t + std::chrono::seconds(10)));  // refilled, but never above the burst
  CHECK(b.take(t + std::chrono::seconds(10)));
  CHECK(b.take(t + std::chrono::seconds(10)));
  CHECK(!b.take(t + std::chrono::seconds(10)));
}

TEST_CASE("Origin allow-list: exact origins, and loopback only where configured") {
  std::vector<std::string> const site = {"https://www.gemeente.test"};
  CHECK(origin_in(site, "https://www.gemeente.test"));
  CHECK(!origin_in(site, "https://www.gemeente.test.evil.test"));
  CHECK(!origin_in(site, "http://www.gemeente.test"));
  CHECK(!origin_in(site, ""));
  CHECK(!origin_in(site, "http://127.0.0.1:8080"));
  std::vector<std::string> const dev = {"loopback"};
  CHECK(origin_in(dev, "http://127.0.0.1:8080"));
  CHECK(origin_in(dev, "http://localhost:41234"));
  CHECK(!origin_in(dev, "http://127.0.0.1:8080.evil.test"));
  CHECK(!origin_in(dev, "http://127.0.0.1:"));
  CHECK(!origin_in(dev, "https://localhost.evil.test:1"));
}

TEST_CASE("opening hours in the municipality's time zone") {
  setenv("TZ", "Europe/Amsterdam", 1);
  tzset();
  std::vector<std::vector<opening_window>> hours(7);
  hours[1] = {{9 * 60, 17 * 60}};  // Monday 09:00-17:00
  auto at = [](char const* utc) { return *parse_rfc3339(utc); };
  // Monday 30 November 2026; Amsterdam is UTC+1 in winter.
  CHECK(!within_hours(hours, at("2026-11-30T07:59:00Z")));  // 08:59 local
  CHECK(within_hours(hours, at("2026-11-30T08:00:00Z")));   // 09:00 local
  CHECK(within_hours(hours, at("2026-11-30T15:59:00Z")));   // 16:59 local
  CHECK(!within_hours(hours, at("2026-11-30T16:00:00Z")));  // 17:00 local
  CHECK(!within_hours(hours, at("2026-11-29T10:00:00Z")));  // Sunday
  CHECK(within_hours({}, at("2026-11-29T10:00:00Z")));      // no hours: always open
}

TEST_CASE("the per-address limit: its share per window, refilled over time, per address, idle addresses forgotten") {
  using namespace std::chrono_literals;
  balie::server::address_limiter limit(3, 600s);
  auto const t0 = std::chrono::steady_clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) CHECK(limit.allow("192.0.2.1", t0));
  CHECK(!limit.allow("192.0.2.1", t0));
  CHECK(limit.retry_after("192.0.2.1", t0) == 200);  // one share comes back every 600 s / 3
  CHECK(limit.allow("192.0.2.2", t0));                 // another address has its own share
  CHECK(!limit.allow("192.0.2.1", t0 + 199s));
  CHECK(limit.allow("192.0.2.1", t0 + 201s));
  CHECK(limit.tracked() == 2);
  CHECK(limit.allow("198.51.100.7", t0 + 2h));  // the idle ones are forgotten after a window
  CHECK(limit.tracked() == 1);
}
