// Nothing lost: transcripts (and SMS webhooks, as Kannel posts them) are
// posted concurrently while balied (or Redis) is killed with SIGKILL; after a
// restart everything not acknowledged is sent again, plus a sample of what was. Every acknowledged transcript must
// be present exactly once, as it was sent (text and caller), nothing may be
// half-written, and no key may be left that belongs to no case.
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/schema_check.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <atomic>
#include <csignal>
#include <condition_variable>
#include <map>
#include <set>
#include <thread>

using namespace balie;
using namespace balie::test;

namespace {

constexpr int total = 3000;   // "a few thousand"
constexpr int clients = 16;   // concurrent connections, like a busy phone platform
constexpr int resent_sample = 300;

std::vector<std::pair<std::string, std::string>> const post_headers = {{"Authorization", "Bearer system-demo-token"},
                                                                       {"Content-Type", "application/json"}};

std::string caller(int i) { return "+3160000" + std::to_string(1000 + i % 9000); }
std::string said(int i) { return "Ik bel over mijn afvalpas, nummer " + std::to_string(i) + "."; }

std::string transcript(int i) {
  return nlohmann::json{{"call_id", "crash-" + std::to_string(i)},
                        {"caller", caller(i)},
                        {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1500}, {"text", said(i)}}}}}
      .dump();
}

using post_fn = std::function<http_reply(http_connection&, int)>;

http_reply post_transcript(http_connection& conn, int i) { return conn.call("POST", "/api/v1/transcripts", post_headers, transcript(i)); }

/// Posts items 0..count-1 over `clients` connections; calls `kill` once a
/// third is acknowledged. Returns the HTTP status per item (0: no answer).
std::vector<int> post_all_and_kill(std::uint16_t port, std::function<void()> kill, post_fn post = post_transcript, int count = total) {
  std::vector<int> status(static_cast<std::size_t>(count), 0);
  std::atomic<int> next{0}, acked{0}, finished{0};
  std::mutex m;
  std::condition_variable third;
  // Under the waiter's mutex: a notify between its check and its sleep would be lost.
  auto tell = [&] {
    std::lock_guard lock(m);
    third.notify_all();
  };
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      std::unique_ptr<http_connection> conn;
      for (int i; (i = next++) < count;) {
        if (!conn) {
          try {
            conn = std::make_unique<http_connection>(port);
          } catch (std::exception const&) {
            continue;  // balied is gone: this one stays unsent
          }
        }
        auto const r = post(*conn, i);
        status[static_cast<std::size_t>(i)] = static_cast<int>(r.status);
        if (r.status == 0 || r.headers.count("connection")) conn.reset();
        if (r.status >= 200 && r.status < 300 && ++acked == count / 3) tell();
      }
      ++finished;
      tell();
    });
  {
    std::unique_lock lock(m);
    third.wait(lock, [&] { return acked.load() >= count / 3 || finished.load() == clients; });
  }
  REQUIRE_MESSAGE(acked.load() >= count / 3, "fewer than a third were acknowledged before the kill");
  kill();
  for (auto& t : threads) t.join();
  return status;
}

void resend_and_verify(std::uint16_t port, redis_server& redis, std::vector<int> const& status) {
  int acknowledged = 0, resent = 0, sample = 0;
  for (int i = 0; i < total; ++i) {
    bool const ok = status[static_cast<std::size_t>(i)] >= 200 && status[static_cast<std::size_t>(i)] < 300;
    acknowledged += ok;
    if (ok && sample >= resent_sample) continue;
    auto const r = http_call(port, "POST", "/api/v1/transcripts", post_headers, transcript(i));
    REQUIRE_MESSAGE(r.status >= 200, r.body);
    REQUIRE(r.status < 300);
    if (ok) {
      ++sample;
      CHECK_MESSAGE(r.status == 200, "an acknowledged transcript must be known after the crash: " << i);
    }
    ++resent;
  }
  MESSAGE("acknowledged before the kill: " << acknowledged << ", sent again: " << resent);
  CHECK(acknowledged >= total / 3);
  CHECK(acknowledged < total);  // the kill really happened mid-stream

  // Exactly once: every call id appears once in the inbox stream.
  auto const entries = redis.list({"XRANGE", queue::keys::inbox_stream("telefoon"), "-", "+"});
  std::map<std::string, int> seen;
  std::set<std::string> cases;
  std::vector<nlohmann::json> messages;
  int garbled = 0;
  for (std::size_t k = 0; k + 4 < entries.size() + 1; k += 5) {  // id, "case_id", case, "msg", json
    messages.push_back(nlohmann::json::parse(entries[k + 4]));
    auto const& m = messages.back();
    auto const call = m["provider_message_id"].get<std::string>();
    ++seen[call];
    cases.insert(entries[k + 2]);
    // What was stored is what was said, by whom: not another call's text or number.
    auto const i = std::stoi(call.substr(call.find('-') + 1));
    garbled += m["transcript"]["segments"][0]["text"] != said(i);
    garbled += m["resident"]["addresses"] != nlohmann::json::array({{{"kind", "phone"}, {"value", caller(i)}}});
  }
  CHECK(garbled == 0);
  CHECK(schema_errors(messages) == "");
  CHECK(seen.size() == static_cast<std::size_t>(total));
  int twice = 0;
  for (auto const& [id, n] : seen) twice += n != 1;
  CHECK(twice == 0);
  // Nothing half-written: every case has its hash, its one message, its index entry and its dedup mark.
  CHECK(cases.size() == static_cast<std::size_t>(total));
  CHECK(redis.integer({"ZCARD", queue::keys::inbox_cases("telefoon")}) == total);
  int broken = 0;
  for (auto const& c : cases) {
    broken += redis.command({"HGET", queue::keys::case_hash(c), "messages"}) != "1";
    broken += redis.integer({"XLEN", queue::keys::case_messages(c)}) != 1;
  }
  CHECK(broken == 0);
  for (int i = 0; i < total; ++i) broken += redis.integer({"EXISTS", queue::keys::dedup("phone:crash-" + std::to_string(i))}) != 1;
  CHECK(broken == 0);

  // No orphans: every key belongs to a case that exists, or is one of the shared ones (the web-chat
  // sender creates its outbox and consumer group at start; the config file seeds switches and rules;
  // the one-time passes and the destruction job leave their marks and locks).
  std::set<std::string> const shared = {queue::keys::inbox_stream("telefoon"), queue::keys::inbox_cases("telefoon"),
                                        queue::keys::inbox_open("telefoon"), queue::keys::inbox_unanswered("telefoon"),
                                        std::string(queue::keys::inboxes), std::string(queue::keys::events),
                                        std::string(queue::keys::audit), queue::keys::outbound("webchat"),
                                        std::string(queue::keys::channels), std::string(queue::keys::routing),
                                        std::string(queue::keys::routing_history), std::string(queue::keys::watch),
                                        std::string(queue::keys::search_backfilled), std::string(queue::keys::search_backfill_lock),
                                        std::string(queue::keys::privacy_backfilled), std::string(queue::keys::privacy_backfill_lock),
                                        std::string(queue::keys::destruction_lock)};
  std::vector<std::string> orphans;
  for (auto const& key : redis.list({"KEYS", "*"})) {
    if (shared.count(key) || key.starts_with("balie:dedup:phone:crash-")) continue;
    if (key.starts_with("balie:case:{")) {
      auto const id = key.substr(12, key.find('}') - 12);
      if (cases.count(id)) continue;
    } else if (key.starts_with("balie:ref:")) {
      if (cases.count(redis.command({"GET", key}))) continue;
    } else if (key.starts_with(queue::keys::search_token("telefoon", ""))) {
      // The search index: shared by the inbox's cases, naming only cases that exist.
      auto const members = redis.list({"ZRANGE", key, "0", "-1"});
      if (std::all_of(members.begin(), members.end(), [&](auto const& id) { return cases.count(id) == 1; })) continue;
    }
    orphans.push_back(key);
  }
  CHECK_MESSAGE(orphans.empty(), orphans.size() << " orphan keys, the first: " << (orphans.empty() ? "" : orphans.front()));
}

} // namespace

TEST_CASE("kill -9 balied during concurrent intake: acknowledged transcripts are there exactly once") {
  temp_dir dir;
  redis_server redis(dir.path / "redis");
  redis.start();
  auto balied = std::make_unique<balied_process>(balied_options{redis.socket(), dir.path});
  auto const status = post_all_and_kill(balied->port(), [&] { balied->process().signal_and_wait(SIGKILL); });
  balied = std::make_unique<balied_process>(balied_options{redis.socket(), dir.path});
  resend_and_verify(balied->port(), redis, status);
}

TEST_CASE("kill -9 redis-server during concurrent intake: acknowledged transcripts survive in the AOF") {
  temp_dir dir;
  redis_server redis(dir.path / "redis");
  redis.start();
  balied_process balied({redis.socket(), dir.path});
  auto const status = post_all_and_kill(balied.port(), [&] { redis.kill9(); });
  redis.start();  // replays the AOF
  REQUIRE(balied.wait_for_event("redis.ready", 2));
  resend_and_verify(balied.port(), redis, status);
}

namespace {
constexpr int sms_total = 1500;
constexpr char const* kannel_secret = "crash-test-kannel-secret";

std::string sms_sender(int i) { return "+316" + std::to_string(10000000 + i); }
std::string sms_text(int i) { return "Mijn container is niet geleegd, melding " + std::to_string(i) + "."; }

http_reply post_sms(http_connection& conn, int i) {
  // Basic auth as Kannel sends it: base64("kannel:" + kannel_secret).
  return conn.call("POST", "/api/v1/webhooks/sms/kannel?from=" + std::string("%2B") + sms_sender(i).substr(1) + "&to=4444&id=crash-sms-" +
                               std::to_string(i) + "&charset=UTF-8",
                   {{"Authorization", "Basic a2FubmVsOmNyYXNoLXRlc3Qta2FubmVsLXNlY3JldA=="}, {"Content-Type", "text/plain"}}, sms_text(i));
}
} // namespace

TEST_CASE("kill -9 balied during SMS intake: every SMS acknowledged to the provider is there exactly once, as sent") {
  temp_dir dir;
  std::ofstream(dir.path / "kannel.secret") << kannel_secret;
  nlohmann::json const overrides = {
      {"dedup_ttl_hours", 960},
      {"channels",
       {{"sms",
         {{"enabled", true}, {"public_base_url", "https://balie.gemeente.test"}, {"acknowledge", false},
          {"messages_per_number", 10}, {"provider_burst", 100000}, {"provider_per_second", 100000},
          {"providers", {{"kannel", {{"webhook_secret", {{"file", (dir.path / "kannel.secret").string()}}}}}}}}}}}};
  redis_server redis(dir.path / "redis");
  redis.start();
  auto balied = std::make_unique<balied_process>(balied_options{redis.socket(), dir.path, overrides});
  auto const status = post_all_and_kill(balied->port(), [&] { balied->process().signal_and_wait(SIGKILL); }, post_sms, sms_total);
  balied = std::make_unique<balied_process>(balied_options{redis.socket(), dir.path, overrides});
  // Kannel sends again what was not acknowledged (http-request-retry), and may send what was.
  int acknowledged = 0, sample = 0;
  for (int i = 0; i < sms_total; ++i) {
    bool const ok = status[static_cast<std::size_t>(i)] >= 200 && status[static_cast<std::size_t>(i)] < 300;
    acknowledged += ok;
    if (ok && sample++ >= resent_sample) continue;
    http_connection conn(balied->port());
    REQUIRE(post_sms(conn, i).status == 200);
  }
  MESSAGE("SMS acknowledged before the kill: " << acknowledged);
  CHECK(acknowledged < sms_total);
  auto const entries = redis.list({"XRANGE", queue::keys::inbox_stream("algemeen"), "-", "+"});
  std::map<std::string, int> seen;
  int garbled = 0;
  for (std::size_t k = 0; k + 4 < entries.size() + 1; k += 5) {
    auto const m = nlohmann::json::parse(entries[k + 4]);
    auto const id = m["provider_message_id"].get<std::string>();
    ++seen[id];
    auto const i = std::stoi(id.substr(id.rfind('-') + 1));
    garbled += m["text"] != sms_text(i);
    garbled += m["resident"]["addresses"][0]["value"] != sms_sender(i);
  }
  CHECK(garbled == 0);
  CHECK(seen.size() == static_cast<std::size_t>(sms_total));
  int twice = 0;
  for (auto const& [id, n] : seen) twice += n != 1;
  CHECK(twice == 0);
}
