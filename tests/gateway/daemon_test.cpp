// balied as a process: configuration errors at start-up, SIGTERM, SIGHUP.
#include "channels/text.hpp"
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <thread>

using namespace balie;
using namespace balie::test;

namespace {
std::string transcript(std::string const& call_id) {
  return nlohmann::json{{"call_id", call_id}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}.dump();
}
std::vector<std::pair<std::string, std::string>> const post_headers = {{"Authorization", "Bearer system-demo-token"},
                                                                       {"Content-Type", "application/json"}};
} // namespace

TEST_CASE("an invalid configuration stops start-up with the key's path") {
  temp_dir dir;
  auto cfg = balied_process::base_config("/nonexistent.sock", dir.path);
  cfg["http"]["prot"] = 80;
  std::ofstream(dir.path / "bad.json") << cfg.dump();
  child_process p;
  p.spawn({BALIED_PATH, "--config", (dir.path / "bad.json").string()});
  CHECK(p.wait() == 2);
  auto const lines = p.lines();
  REQUIRE(!lines.empty());
  CHECK(lines.back() == "balied: config: /http/prot: unknown key");

  cfg.erase("http");
  std::ofstream(dir.path / "bad2.json") << cfg.dump();
  child_process q;
  q.spawn({BALIED_PATH, "--config", (dir.path / "bad2.json").string()});
  CHECK(q.wait() == 2);
  CHECK(q.lines().back() == "balied: config: /http: missing required key");
}

TEST_CASE("SIGTERM stops balied cleanly with exit code 0") {
  test_stack s;
  auto& b = *s.balied;
  CHECK(http_call(b.port(), "POST", "/api/v1/transcripts", post_headers, transcript("kcc-term")).status == 202);
  CHECK(b.process().signal_and_wait(SIGTERM) == 0);
  bool done = false;
  for (auto const& j : b.log()) done = done || j.value("event", "") == "shutdown.done";
  CHECK(done);
  CHECK(http_call(b.port(), "GET", "/healthz").status == 0);  // nothing listens any more
}

TEST_CASE("SIGTERM lets an enqueue in flight finish and answers it before exiting") {
  test_stack s;
  auto& redis = s.redis;
  auto& b = *s.balied;
  // Balied's own start-up work in Redis is done first: the one blocked in Redis must be the enqueue.
  REQUIRE(b.wait_for_event("privacy.backfill.done"));
  REQUIRE(b.wait_for_event("search.backfill.done"));
  REQUIRE(b.wait_for_event("retention.run"));
  // Their locks are released by a last write that follows the log line: that write is done too.
  for (int i = 0; i < 5000 && redis.integer({"EXISTS", std::string(queue::keys::destruction_lock), std::string(queue::keys::privacy_backfill_lock)}) > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a condition, bounded
  REQUIRE(redis.integer({"EXISTS", std::string(queue::keys::destruction_lock), std::string(queue::keys::privacy_backfill_lock)}) == 0);
  // Hold every write in Redis for a while: the enqueue is in flight until then.
  redis.command({"CLIENT", "PAUSE", "1500", "WRITE"});
  http_reply answer;
  std::thread poster([&] { answer = http_call(b.port(), "POST", "/api/v1/transcripts", post_headers, transcript("kcc-inflight")); });
  // Wait until balied's enqueue is the one blocked in Redis, then ask it to stop.
  bool blocked = false;
  for (int i = 0; i < 5000 && !blocked; ++i) {
    blocked = redis.command({"INFO", "clients"}).find("blocked_clients:1") != std::string::npos;
    if (!blocked) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling a condition, bounded
  }
  REQUIRE(blocked);
  b.process().send_signal(SIGTERM);
  poster.join();
  CHECK(answer.status == 202);
  CHECK(b.process().wait() == 0);
  CHECK(redis.integer({"XLEN", queue::keys::inbox_stream("telefoon")}) == 1);
  bool drained = false;
  for (auto const& j : b.log()) drained = drained || (j.value("event", "") == "shutdown.drained" && j.value("unfinished", "") == "0");
  CHECK(drained);
}

TEST_CASE("SIGHUP reloads routing and tokens, and keeps running on a broken file") {
  test_stack s;
  auto& redis = s.redis;
  auto& b = *s.balied;
  CHECK(http_call(b.port(), "POST", "/api/v1/transcripts", post_headers, transcript("kcc-1")).status == 202);
  CHECK(redis.integer({"XLEN", queue::keys::inbox_stream("telefoon")}) == 1);

  b.rewrite_config({{"routing", {{"channels", {{"phone", "vergunningen"}}}}}});
  b.process().send_signal(SIGHUP);
  REQUIRE(b.wait_for_event("reload.routing"));
  CHECK(http_call(b.port(), "POST", "/api/v1/transcripts", post_headers, transcript("kcc-2")).status == 202);
  CHECK(redis.integer({"XLEN", queue::keys::inbox_stream("vergunningen")}) == 1);

  b.rewrite_config({{"http", {{"port", 1}}}, {"routing", {{"channels", {{"phone", "vergunningen"}}}}}});
  b.process().send_signal(SIGHUP);
  REQUIRE(b.wait_for_event("reload.needs_restart"));

  std::ofstream(b.config_file()) << "{ broken";
  b.process().send_signal(SIGHUP);
  REQUIRE(b.wait_for_event("reload.failed"));
  CHECK(http_call(b.port(), "GET", "/healthz").status == 200);
  CHECK(http_call(b.port(), "POST", "/api/v1/transcripts", post_headers, transcript("kcc-3")).status == 202);
  // All running settings stayed: the message went where the last good routing sends it.
  CHECK(redis.integer({"XLEN", queue::keys::inbox_stream("vergunningen")}) == 2);
  CHECK(redis.integer({"XLEN", queue::keys::inbox_stream("telefoon")}) == 1);
}

TEST_CASE("reloads under load: every request is answered by one whole configuration, the old or the new") {
  test_stack s;
  auto& redis = s.redis;
  auto& b = *s.balied;
  constexpr int posters = 4, each = 100, reloads = 20;
  std::atomic<int> refused{0}, staff_refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < posters; ++t)
    threads.emplace_back([&, t] {
      http_connection conn(b.port());
      for (int i = 0; i < each; ++i) {
        refused += conn.call("POST", "/api/v1/transcripts", post_headers, transcript("kcc-load-" + std::to_string(t) + "-" + std::to_string(i)))
                       .status != 202;
        staff_refused += conn.call("GET", "/api/v1/me", {{"Authorization", "Bearer staff-demo-token"}}).status != 200;
      }
    });
  for (int r = 1; r <= reloads; ++r) {
    b.rewrite_config({{"routing", {{"channels", {{"phone", r % 2 ? "vergunningen" : "telefoon"}}}}}});
    b.process().send_signal(SIGHUP);
    REQUIRE(b.wait_for_event("reload.tokens", static_cast<std::size_t>(r)));  // read whole before the next write
  }
  for (auto& t : threads) t.join();
  CHECK(refused == 0);
  CHECK(staff_refused == 0);
  // Each message went where one of the two routings sends it; none fell through to the default.
  CHECK(redis.integer({"XLEN", queue::keys::inbox_stream("telefoon")}) + redis.integer({"XLEN", queue::keys::inbox_stream("vergunningen")}) ==
        posters * each);
  CHECK(redis.integer({"XLEN", queue::keys::inbox_stream("algemeen")}) == 0);
  CHECK(http_call(b.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("SIGHUP applies a changed tokens file: a new token works, a removed one is refused, and its open streams end") {
  temp_dir files;
  auto const tokens = nlohmann::json::parse(std::ifstream(std::string(BALIE_SOURCE_DIR) + "/config/dev-tokens.json"));
  std::ofstream(files.path / "tokens.json") << tokens.dump();
  test_stack s(nlohmann::json{{"auth", {{"tokens_file", (files.path / "tokens.json").string()}}}});
  auto& b = *s.balied;
  using headers = std::vector<std::pair<std::string, std::string>>;
  headers const anna = {{"Authorization", "Bearer anna-nieuw-token-0123456789"}};
  headers const demo = {{"Authorization", "Bearer staff-demo-token"}};
  headers const permits = {{"Authorization", "Bearer vergunningen-demo-token"}};
  CHECK(http_call(b.port(), "GET", "/api/v1/me", anna).status == 401);
  CHECK(http_call(b.port(), "GET", "/api/v1/me", demo).status == 200);
  stream_reader demo_stream(b.port(), "/api/v1/events", demo);
  stream_reader permits_stream(b.port(), "/api/v1/events", permits);
  REQUIRE(demo_stream.wait_for(": connected"));
  REQUIRE(permits_stream.wait_for(": connected"));
  auto const reload = [&](auto const& change) {
    nlohmann::json next = {{"tokens", nlohmann::json::array()}};
    for (auto t : tokens["tokens"])
      if (change(t)) next["tokens"].push_back(t);
    next["tokens"].push_back({{"name", "anna"}, {"sha256", sha256_hex("anna-nieuw-token-0123456789")}, {"role", "staff"},
                              {"inboxes", {"algemeen"}}});
    std::ofstream(files.path / "tokens.json") << next.dump();
    b.process().send_signal(SIGHUP);
  };
  auto const closed_by_reload = [&](std::size_t nth) {
    std::size_t seen = 0;
    for (auto const& j : b.log())
      if (j.value("event", "") == "reload.tokens" && ++seen == nth) return j.value("streams_closed", "");
    return std::string("no reload");
  };

  // Removed: refused from now on, and its open stream ends; the unchanged one stays.
  reload([](nlohmann::json const& t) { return t["name"] != "demo-staff"; });
  REQUIRE(b.wait_for_event("reload.tokens"));
  CHECK(http_call(b.port(), "GET", "/api/v1/me", anna).status == 200);
  CHECK(http_call(b.port(), "GET", "/api/v1/me", demo).status == 401);
  CHECK(!demo_stream.wait_for("never sent"));
  CHECK(demo_stream.ended());
  CHECK(closed_by_reload(1) == "1");

  // Narrowed: vergunningen taken away, so the stream that showed it ends.
  reload([](nlohmann::json& t) {
    if (t["name"] == "demo-vergunningen") t["inboxes"] = {"algemeen"};
    return t["name"] != "demo-staff";
  });
  REQUIRE(b.wait_for_event("reload.tokens", 2));
  CHECK(!permits_stream.wait_for("never sent"));
  CHECK(permits_stream.ended());
  CHECK(closed_by_reload(2) == "1");
  CHECK(http_call(b.port(), "GET", "/api/v1/me", permits).status == 200);  // the token itself still works, for less
}

TEST_CASE("SIGHUP with changed rules puts them in force through Redis, recorded as the configuration's change; a broken rule set in the file keeps the rules in force") {
  test_stack s;
  auto& b = *s.balied;
  auto const in_force = [&] {
    return nlohmann::json::parse(http_call(b.port(), "GET", "/api/v1/routing", {{"Authorization", "Bearer admin-demo-token"}}).body);
  };
  REQUIRE(eventually([&] { return in_force()["version"] == 1; }));
  nlohmann::json const rules = nlohmann::json::array(
      {{{"name", "vergunning"}, {"match", {{"channels", {"phone"}}}}, {"inbox", "vergunningen"}, {"topic", "vergunningen"}}});
  b.rewrite_config({{"routing", {{"rules", rules}}}});
  b.process().send_signal(SIGHUP);
  REQUIRE(b.wait_for_event("reload.routing"));
  CHECK(in_force()["version"] == 2);
  CHECK(in_force()["changed_by"] == "config");
  CHECK(http_call(b.port(), "POST", "/api/v1/transcripts", post_headers, transcript("kcc-r1")).status == 202);
  CHECK(s.redis.integer({"XLEN", queue::keys::inbox_stream("vergunningen")}) == 1);

  b.rewrite_config({{"routing", {{"rules", {{{"name", "x"}, {"match", {{"channels", {"phone"}}}}, {"inbox", "nergens"}}}}}}});
  b.process().send_signal(SIGHUP);
  REQUIRE(b.wait_for_event("reload.failed"));
  CHECK(in_force()["version"] == 2);
  CHECK(http_call(b.port(), "POST", "/api/v1/transcripts", post_headers, transcript("kcc-r2")).status == 202);
  CHECK(s.redis.integer({"XLEN", queue::keys::inbox_stream("vergunningen")}) == 2);
}
