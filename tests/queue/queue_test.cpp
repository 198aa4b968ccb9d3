// The queue library against a real redis-server: atomic enqueue, dedup,
// reference collisions, consumer groups, timeouts, outages and the
// durability check.
#include "channels/ids.hpp"
#include "channels/time_format.hpp"
#include "queue/case_store.hpp"
#include "queue/keys.hpp"
#include "queue/stream_group.hpp"
#include "tests/support/queue_stack.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <condition_variable>
#include <csignal>
#include <future>
#include <thread>

using namespace balie;
using namespace balie::queue;
using namespace balie::test;
using namespace std::chrono_literals;


TEST_CASE("enqueue writes the dedup mark, case, inbox stream, group and index in one step") {
  queue_stack q;
  auto [server, h, store] = std::tie(q.server, *q.h, *q.store);
  id_source ids;
  auto const m = phone_message(ids, "call-1");

  auto const [ec, r] = enqueue(store, m, "phone:call-1");
  REQUIRE(!ec);
  CHECK(!r.duplicate);
  CHECK(r.message_id == m.id);
  CHECK(r.inbox == "telefoon");
  CHECK(server.integer({"XLEN", keys::inbox_stream("telefoon")}) == 1);
  CHECK(server.integer({"XLEN", keys::case_messages(m.case_id)}) == 1);
  CHECK(server.command({"HGET", keys::case_hash(m.case_id), "state"}) == "open");
  CHECK(server.command({"HGET", keys::case_hash(m.case_id), "reference"}) == m.reference);
  CHECK(server.command({"GET", keys::reference(m.reference)}) == m.case_id);
  CHECK(server.integer({"ZCARD", keys::inbox_cases("telefoon")}) == 1);
  auto const ttl = server.integer({"TTL", keys::dedup("phone:call-1")});
  CHECK(ttl > 3500);
  CHECK(ttl <= 3600);
  auto const groups = server.list({"XINFO", "GROUPS", keys::inbox_stream("telefoon")});
  CHECK(std::find(groups.begin(), groups.end(), "staff") != groups.end());

  SUBCASE("a redelivery is acknowledged as a duplicate and not stored again") {
    auto again = phone_message(ids, "call-1");
    auto const [ec2, r2] = enqueue(store, again, "phone:call-1");
    REQUIRE(!ec2);
    CHECK(r2.duplicate);
    CHECK(r2.message_id == m.id);
    CHECK(r2.case_id == m.case_id);
    CHECK(r2.reference == m.reference);
    CHECK(server.integer({"XLEN", keys::inbox_stream("telefoon")}) == 1);
    CHECK(server.integer({"EXISTS", keys::case_hash(again.case_id)}) == 0);
  }
  SUBCASE("a reference collision writes nothing and asks for another reference") {
    auto other = phone_message(ids, "call-2");
    other.reference = m.reference;
    auto const [ec3, r3] = enqueue(store, other, "phone:call-2");
    CHECK(ec3 == errc::reference_taken);
    CHECK(server.integer({"EXISTS", keys::dedup("phone:call-2")}) == 0);
    CHECK(server.integer({"EXISTS", keys::case_hash(other.case_id)}) == 0);
    CHECK(server.integer({"XLEN", keys::inbox_stream("telefoon")}) == 1);
  }
  SUBCASE("the stored message is the case-message JSON") {
    auto const entry = server.list({"XRANGE", keys::case_messages(m.case_id), "-", "+"});
    REQUIRE(entry.size() == 3);  // id, "msg", json
    auto const back = case_message_from_json(nlohmann::json::parse(entry[2]));
    REQUIRE(back.has_value());
    CHECK(*back == m);
  }
}

TEST_CASE("the script is loaded again after Redis forgot it") {
  queue_stack q;
  auto [server, h, store] = std::tie(q.server, *q.h, *q.store);
  id_source ids;
  REQUIRE(!enqueue(store, phone_message(ids, "a"), "phone:a").first);
  server.command({"SCRIPT", "FLUSH"});
  CHECK(!enqueue(store, phone_message(ids, "b"), "phone:b").first);
  CHECK(server.integer({"XLEN", keys::inbox_stream("telefoon")}) == 2);
}

TEST_CASE("while Redis is down commands fail at once; after a restart the connection comes back") {
  queue_stack q;
  auto [server, h, store] = std::tie(q.server, *q.h, *q.store);
  id_source ids;
  REQUIRE(!enqueue(store, phone_message(ids, "before"), "phone:before").first);

  server.kill9();
  REQUIRE(h.wait_event("redis.disconnected"));
  CHECK(!h.redis->ready());
  auto const [ec, r] = enqueue(store, phone_message(ids, "during"), "phone:during");
  CHECK(ec == errc::not_connected);
  // Why: the lost connection, or (once a reconnect has been tried meanwhile) the refused one.
  auto const why = h.redis->last_error();
  CHECK_MESSAGE((why.rfind("Redis connection lost: ", 0) == 0 || why.rfind("Redis unreachable: ", 0) == 0), why);

  server.start();  // same directory: the AOF is replayed
  REQUIRE(h.wait_event("redis.ready", 2));
  CHECK(h.redis->reconnects() == 1);
  REQUIRE(!enqueue(store, phone_message(ids, "after"), "phone:after").first);
  CHECK(server.integer({"XLEN", keys::inbox_stream("telefoon")}) == 2);  // "before" survived the crash
}

TEST_CASE("a Redis that does not answer in time fails the command with a timeout and recovers") {
  // The timeout leaves room for a durable enqueue on a loaded sanitizer build (200 ms once did not);
  // the pause outlasts it.
  queue_stack q([](redis_options& o) { o.command_timeout = 1000ms; });
  auto [server, h, store] = std::tie(q.server, *q.h, *q.store);
  id_source ids;
  server.command({"CLIENT", "PAUSE", "3000", "ALL"});
  auto const [ec, r] = enqueue(store, phone_message(ids, "slow"), "phone:slow");
  CHECK(ec == errc::timeout);
  REQUIRE(h.wait_event("redis.ready", 2));
  CHECK(!enqueue(store, phone_message(ids, "fine"), "phone:fine").first);
}

TEST_CASE("a Redis without durable settings is never reported ready") {
  queue_stack q({}, /*durable=*/false);
  auto [server, h] = std::tie(q.server, *q.h);
  REQUIRE(h.wait_event("redis.not_durable"));
  CHECK(!h.redis->ready());
  CHECK(h.redis->last_error().find("appendonly=no") != std::string::npos);
  server.command({"CONFIG", "SET", "appendonly", "yes"});
  server.command({"CONFIG", "SET", "appendfsync", "always"});
  CHECK(h.wait_event("redis.ready"));
}

TEST_CASE("consumer groups: read, re-read pending, ack, autoclaim from a dead consumer") {
  queue_stack q;
  auto [server, h] = std::tie(q.server, *q.h);
  stream_group group(h.redis, "balie:test:stream", "staff");
  auto sync = [](auto call) {
    std::promise<void> done;
    call([&] { done.set_value(); });
    done.get_future().get();
  };
  boost::system::error_code ec;
  sync([&](auto done) { group.ensure([&, done](boost::system::error_code e) { ec = e; done(); }); });
  REQUIRE(!ec);
  sync([&](auto done) { group.ensure([&, done](boost::system::error_code e) { ec = e; done(); }); });
  CHECK(!ec);  // BUSYGROUP is fine
  for (int i = 0; i < 3; ++i) server.command({"XADD", "balie:test:stream", "*", "n", std::to_string(i)});

  std::vector<stream_entry> got;
  sync([&](auto done) { group.read("anna", 10, std::nullopt, ">", [&, done](auto e, auto entries) { ec = e, got = entries; done(); }); });
  REQUIRE(!ec);
  REQUIRE(got.size() == 3);
  CHECK(got[1].field("n") == "1");
  sync([&](auto done) { group.read("anna", 10, std::nullopt, "0", [&, done](auto e, auto entries) { ec = e, got = entries; done(); }); });
  CHECK(got.size() == 3);  // still pending for anna

  long long acked = 0;
  sync([&](auto done) { group.ack({got[0].id}, [&, done](auto e, long long n) { ec = e, acked = n; done(); }); });
  CHECK(acked == 1);

  autoclaim_result claimed;
  sync([&](auto done) { group.autoclaim("bram", 0ms, "0-0", 10, [&, done](auto e, auto r) { ec = e, claimed = r; done(); }); });
  REQUIRE(!ec);
  CHECK(claimed.claimed.size() == 2);
  CHECK(claimed.deleted_ids.empty());

  server.command({"XDEL", "balie:test:stream", got[2].id});  // deleted while pending
  sync([&](auto done) { group.autoclaim("carla", 0ms, "0-0", 10, [&, done](auto e, auto r) { ec = e, claimed = r; done(); }); });
  CHECK(claimed.deleted_ids == std::vector<std::string>{got[2].id});

  sync([&](auto done) { group.read("anna", 10, 100ms, ">", [&, done](auto e, auto entries) { ec = e, got = entries; done(); }); });
  CHECK(!ec);
  CHECK(got.empty());  // BLOCK ran out with nothing new
}
