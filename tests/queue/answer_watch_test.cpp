// The watchdog over Balie's promises, against a real redis-server with the
// clock passed in: a case no person acts on is marked overdue at its
// answer-by time (raised one step, counted in its inbox, an event), reported
// once at its report time; a human action (claim, reply, note, transfer,
// close) takes it off the watch; a resident who writes again while still
// waiting raises it; an automatic message waits for nobody and makes no promise.
#include "queue/answer_watch.hpp"
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>

using namespace balie;
using namespace balie::queue;
using namespace balie::test;

namespace {

constexpr long long t0 = 1'800'000'000'000;  // when the first message arrived (ms)
constexpr long long hour = 3'600'000;

timestamp at(long long ms) { return timestamp{std::chrono::milliseconds{ms}}; }

struct watch_stack : queue_stack {
  answer_watch watch{h->redis};
  case_workflow flow{h->redis};
  id_source ids;
  int counter = 0;

  /// A resident's message promised an answer within 8 hours, reported after 16.
  enqueue_result message(std::string const& case_id = {}, bool automatic = false, long long received = t0) {
    auto m = phone_message(ids, "call-" + std::to_string(counter++));
    if (!case_id.empty()) m.case_id = case_id;
    m.auto_generated = automatic;
    m.received_at = at(received);
    std::promise<enqueue_result> p;
    std::optional<case_promise> promise;
    if (!automatic) promise = case_promise{at(received + 8 * hour), at(received + 16 * hour)};
    store->enqueue(m, "k:" + m.id, case_id.empty(), [&](boost::system::error_code ec, enqueue_result r) {
      REQUIRE(!ec);
      p.set_value(r);
    }, {}, {}, promise);
    return p.get_future().get();
  }
  std::map<std::string, std::string> teams;  ///< inbox → team address
  std::vector<watch_finding> sweep(long long now) {
    return await<std::pair<boost::system::error_code, std::vector<watch_finding>>>([&](auto done) { watch.sweep(now, 100, teams, done); }).second;
  }
  /// The notices in the team outbox, as their `msg` fields.
  std::vector<nlohmann::json> team_notices() {
    std::vector<nlohmann::json> out;
    auto const all = server.list({"XRANGE", keys::outbound(keys::team_notices), "-", "+"});
    for (std::size_t i = 0; i + 1 < all.size(); ++i)
      if (all[i] == "msg") out.push_back(nlohmann::json::parse(all[i + 1]));
    return out;
  }
  std::string field(std::string const& id, std::string const& f) { return server.command({"HGET", keys::case_hash(id), f}); }
  long long overdue_count(std::string const& inbox) {
    auto const [ec, counts] = await<std::pair<boost::system::error_code, std::vector<long long>>>(
        [&](auto done) { watch.overdue_counts({inbox}, done); });
    REQUIRE(!ec);
    return counts.at(0);
  }
  bool event_seen(std::string const& type) {
    for (auto const& e : server.list({"XRANGE", std::string(keys::events), "-", "+"}))
      if (e == type) return true;
    return false;
  }
};

} // namespace

TEST_CASE("a case nobody acts on: overdue at its answer-by time, raised and counted; reported once at twice the answer time") {
  watch_stack w;
  auto const r = w.message();
  REQUIRE(r.answer_by);
  CHECK(r.answer_by->time_since_epoch().count() == t0 + 8 * hour);
  CHECK(w.field(r.case_id, "answer_by") == std::to_string(t0 + 8 * hour));

  CHECK(w.sweep(t0 + 8 * hour - 1).empty());  // not yet
  auto const overdue = w.sweep(t0 + 8 * hour);
  REQUIRE(overdue.size() == 1);
  CHECK(overdue[0].case_id == r.case_id);
  CHECK(overdue[0].inbox == "telefoon");
  CHECK(overdue[0].stage == "overdue");
  CHECK(overdue[0].priority == "high");  // one step up from normal
  CHECK(w.field(r.case_id, "priority") == "high");
  CHECK(w.field(r.case_id, "overdue_since") == std::to_string(t0 + 8 * hour));
  CHECK(w.overdue_count("telefoon") == 1);
  CHECK(w.event_seen("case.overdue"));
  CHECK(w.sweep(t0 + 12 * hour).empty());  // marked once

  auto const reported = w.sweep(t0 + 16 * hour);
  REQUIRE(reported.size() == 1);
  CHECK(reported[0].stage == "reported");
  CHECK(w.field(r.case_id, "reported_at") == std::to_string(t0 + 16 * hour));
  CHECK(w.event_seen("case.overdue_reported"));
  CHECK(w.sweep(t0 + 100 * hour).empty());  // reported once
  CHECK(w.overdue_count("telefoon") == 1);  // still overdue until a person acts
  CHECK(w.team_notices().empty());          // the inbox has no team address
}

TEST_CASE("a report tells the inbox's team by a notice in the team outbox, written in the same step, once") {
  watch_stack w;
  w.teams = {{"telefoon", "team-telefoon@gemeente.test"}, {"algemeen", "team-algemeen@gemeente.test"}};
  auto const r = w.message();
  auto const reference = w.field(r.case_id, "reference");
  REQUIRE(w.sweep(t0 + 8 * hour).size() == 1);
  CHECK(w.team_notices().empty());  // overdue is not yet reported
  REQUIRE(w.sweep(t0 + 16 * hour).size() == 1);
  CHECK(w.sweep(t0 + 100 * hour).empty());
  auto const notices = w.team_notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["to"] == "team-telefoon@gemeente.test");
  CHECK(notices[0]["inbox"] == "telefoon");
  CHECK(notices[0]["reference"] == reference);
  CHECK(notices[0]["answer_by"] == t0 + 8 * hour);
  CHECK(notices[0]["reported_at"] == t0 + 16 * hour);
  CHECK(notices[0].dump().find("call-") == std::string::npos);  // nothing of the message itself
  auto const fields = w.server.list({"XRANGE", keys::outbound(keys::team_notices), "-", "+"});
  CHECK(std::find(fields.begin(), fields.end(), r.case_id) != fields.end());
}

TEST_CASE("a human action takes a case off the watch and ends its overdue mark; a later message starts a new promise") {
  watch_stack w;
  SUBCASE("a note before the answer-by time: never overdue") {
    auto const r = w.message();
    auto const [ec, done] = await<std::pair<boost::system::error_code, action_result>>(
        [&](auto d) { w.flow.add_note(r.case_id, "anna", "Ik bel morgen terug.", t0 + hour, d); });
    REQUIRE(!ec);
    CHECK(w.field(r.case_id, "human_at") == std::to_string(t0 + hour));
    CHECK(w.sweep(t0 + 100 * hour).empty());
    CHECK(w.field(r.case_id, "overdue_since") == "");
  }
  SUBCASE("a claim after it went overdue: the mark and the count end") {
    auto const r = w.message();
    REQUIRE(w.sweep(t0 + 9 * hour).size() == 1);
    CHECK(w.overdue_count("telefoon") == 1);
    auto const [ec, done] = await<std::pair<boost::system::error_code, action_result>>(
        [&](auto d) { w.flow.claim(r.case_id, "anna", t0 + 10 * hour, std::chrono::minutes(30), d); });
    REQUIRE(!ec);
    CHECK(w.overdue_count("telefoon") == 0);
    CHECK(w.field(r.case_id, "overdue_since") == "");
    CHECK(w.sweep(t0 + 100 * hour).empty());  // not reported
    // The resident writes again after a person acted: a new promise from then.
    auto const again = w.message(r.case_id, false, t0 + 20 * hour);
    REQUIRE(again.answer_by);
    CHECK(again.answer_by->time_since_epoch().count() == t0 + 28 * hour);
  }
  SUBCASE("a transfer and a close count too") {
    auto const a = w.message();
    auto const b = w.message();
    REQUIRE(!await<std::pair<boost::system::error_code, action_result>>(
                 [&](auto d) { w.flow.transfer(a.case_id, "anna", "algemeen", t0 + hour, d); })
                 .first);
    REQUIRE(!await<std::pair<boost::system::error_code, action_result>>([&](auto d) {
               w.flow.close(b.case_id, "anna", t0 + hour, std::chrono::seconds(3600), d);
             }).first);
    CHECK(w.sweep(t0 + 100 * hour).empty());
  }
}

TEST_CASE("a resident who writes again while still waiting raises the case (at most to high) and keeps the first promise") {
  watch_stack w;
  auto const r = w.message();
  auto const second = w.message(r.case_id, false, t0 + hour);
  CHECK(second.answer_by->time_since_epoch().count() == t0 + 8 * hour);  // the first promise stands
  CHECK(w.field(r.case_id, "priority") == "high");
  CHECK(w.event_seen("case.raised"));
  w.message(r.case_id, false, t0 + 2 * hour);
  CHECK(w.field(r.case_id, "priority") == "high");  // a resident alone does not make it urgent
}

TEST_CASE("an automatic message (an auto-reply, a bounce) waits for nobody: no promise, not unanswered, not watched") {
  watch_stack w;
  auto const r = w.message({}, /*automatic=*/true);
  CHECK(!r.answer_by);
  CHECK(w.field(r.case_id, "waiting") == "");
  CHECK(w.server.integer({"ZCARD", keys::inbox_unanswered("telefoon")}) == 0);
  CHECK(w.server.list({"XPENDING", keys::inbox_stream("telefoon"), "staff"}).at(0) == "0");
  CHECK(w.sweep(t0 + 100 * hour).empty());
}
