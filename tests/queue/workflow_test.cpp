// Staff actions on cases against a real redis-server, with the clock passed
// in: claims and their expiry (backed by the inbox's consumer group),
// transfer, close and reopen, notes, replies on the outbound stream and the
// delivery status senders report, the filtered case list, and the event and
// audit lines each action leaves.
#include "channels/time_format.hpp"
#include "queue/case_workflow.hpp"
#include "queue/event_feed.hpp"
#include "queue/keys.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace balie;
using namespace balie::queue;
using namespace balie::test;
using namespace std::chrono_literals;

namespace {
/// How long a closed case's chat conversation is kept (the default).
constexpr std::chrono::seconds keep{30 * 24 * 3600};

using action = std::pair<boost::system::error_code, action_result>;
constexpr long long t0 = 1'800'000'000'000;  // a fixed "now" in milliseconds
constexpr auto ttl = 60'000ms;

struct workflow_stack : queue_stack {
  case_workflow flow{h->redis};
  id_source ids;

  std::string new_case(std::string const& inbox = "telefoon", priority p = priority::normal, channel ch = channel::phone) {
    auto m = phone_message(ids, "call-" + std::to_string(counter++));
    m.routing->inbox = inbox;
    m.routing->priority = p;
    m.channel = ch;
    auto const [ec, r] = enqueue(*store, m, "k:" + m.id);
    REQUIRE(!ec);
    return m.case_id;
  }
  /// Another inbound message for an existing case.
  void follow_up(std::string const& case_id) {
    auto m = phone_message(ids, "call-" + std::to_string(counter++));
    m.case_id = case_id;
    auto const [ec, r] = enqueue(*store, m, "k:" + m.id, /*new_case=*/false);
    REQUIRE(!ec);
  }
  action claim(std::string const& id, std::string const& who, long long now) {
    return await<action>([&](auto done) { flow.claim(id, who, now, ttl, done); });
  }
  /// Pending entries of an inbox's group per consumer, as "consumer count" lines.
  std::string pending_by_consumer(std::string const& inbox) {
    auto const reply = server.list({"XPENDING", keys::inbox_stream(inbox), "staff"});
    std::string out;
    for (std::size_t i = 3; i + 1 < reply.size(); i += 2) out += reply[i] + " " + reply[i + 1] + "\n";
    return out;
  }
  std::string state(std::string const& id) { return server.command({"HGET", keys::case_hash(id), "state"}); }
  std::vector<std::string> events() { return server.list({"XRANGE", std::string(keys::events), "-", "+"}); }
  int counter = 0;
};

bool contains(std::vector<std::string> const& v, std::string const& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

} // namespace

TEST_CASE("new messages are pending for nobody until claimed; a claim moves them to the staff member, a release back") {
  workflow_stack w;
  auto const id = w.new_case();
  w.follow_up(id);
  CHECK(w.pending_by_consumer("telefoon") == "unassigned 2\n");

  auto const [ec, r] = w.claim(id, "anna", t0);
  REQUIRE(!ec);
  CHECK(r.status == action_status::done);
  CHECK(w.pending_by_consumer("telefoon") == "staff:anna 2\n");
  CHECK(w.state(id) == "claimed");
  CHECK(w.server.command({"HGET", keys::case_hash(id), "claim_expires_at"}) == std::to_string(t0 + ttl.count()));

  SUBCASE("a message arriving during the claim goes straight to the claimant") {
    w.follow_up(id);
    CHECK(w.pending_by_consumer("telefoon") == "staff:anna 3\n");
  }
  SUBCASE("release") {
    auto const [ec2, r2] = await<action>([&](auto done) { w.flow.release(id, "anna", t0 + 1, done); });
    REQUIRE(!ec2);
    CHECK(r2.status == action_status::done);
    CHECK(w.pending_by_consumer("telefoon") == "unassigned 2\n");
    CHECK(w.state(id) == "open");
    CHECK(w.server.integer({"HEXISTS", keys::case_hash(id), "assignee"}) == 0);
    CHECK(contains(w.events(), "case.released"));
  }
}

TEST_CASE("a colleague's live claim stops every action; once it has expired it stops none") {
  workflow_stack w;
  auto const id = w.new_case();
  REQUIRE(w.claim(id, "anna", t0).second.status == action_status::done);
  auto const during = t0 + ttl.count() - 1, after = t0 + ttl.count();

  auto const blocked = w.claim(id, "bram", during).second;
  CHECK(blocked.status == action_status::claimed_by_other);
  CHECK(blocked.detail == "anna");
  CHECK(await<action>([&](auto d) { w.flow.release(id, "bram", during, d); }).second.status == action_status::claimed_by_other);
  CHECK(await<action>([&](auto d) { w.flow.transfer(id, "bram", "algemeen", during, d); }).second.status == action_status::claimed_by_other);
  CHECK(await<action>([&](auto d) { w.flow.close(id, "bram", during, keep, d); }).second.status == action_status::claimed_by_other);
  reply_request reply{id, "bram", during, ttl, "01M8HMDJ70ZXE7TJQS55D6MWYZ", "sms", "{}", R"({"status":"queued","attempts":0})", ""};
  CHECK(await<action>([&](auto d) { w.flow.reply(reply, d); }).second.status == action_status::claimed_by_other);
  // Nothing of the refused actions happened.
  CHECK(w.pending_by_consumer("telefoon") == "staff:anna 1\n");
  CHECK(w.server.integer({"EXISTS", keys::outbound("sms")}) == 0);

  CHECK(w.claim(id, "bram", after).second.status == action_status::done);
  CHECK(w.pending_by_consumer("telefoon") == "staff:bram 1\n");
}

TEST_CASE("claims expire at their time and not before, back to the inbox, with an event and an audit line") {
  workflow_stack w;
  auto const id = w.new_case();
  auto const other = w.new_case();
  REQUIRE(w.claim(id, "anna", t0).second.status == action_status::done);
  REQUIRE(w.claim(other, "anna", t0 + 10'000).second.status == action_status::done);

  auto expire = [&](long long now) { return await<action>([&](auto d) { w.flow.expire_claims(now, 100, d); }).second.detail; };
  CHECK(expire(t0 + ttl.count() - 1) == "0");
  CHECK(w.state(id) == "claimed");
  CHECK(expire(t0 + ttl.count()) == "1");
  CHECK(w.state(id) == "open");
  CHECK(w.state(other) == "claimed");
  CHECK(w.pending_by_consumer("telefoon") == "staff:anna 1\nunassigned 1\n");
  auto const events = w.events();
  CHECK(contains(events, "expired"));
  CHECK(contains(w.server.list({"XRANGE", std::string(keys::audit), "-", "+"}), "case.claim_expired"));
  SUBCASE("a renewed claim does not expire at its first time") {
    REQUIRE(w.claim(other, "anna", t0 + 50'000).second.status == action_status::done);
    CHECK(expire(t0 + 10'000 + ttl.count()) == "0");
    CHECK(w.state(other) == "claimed");
  }
}

TEST_CASE("a reply is queued for the senders, answers the case, and its delivery status only moves forward") {
  workflow_stack w;
  auto const id = w.new_case();
  CHECK(w.server.integer({"ZCARD", keys::inbox_unanswered("telefoon")}) == 1);
  reply_request reply{id, "anna", t0, ttl, "01M8HMDJ70ZXE7TJQS55D6MWYZ", "sms", R"({"id":"01M8HMDJ70ZXE7TJQS55D6MWYZ"})",
                      R"({"status":"queued","attempts":0,"updated_at":"2027-01-15T08:00:00Z"})", ""};
  auto const [ec, r] = await<action>([&](auto d) { w.flow.reply(reply, d); });
  REQUIRE(!ec);
  REQUIRE(r.status == action_status::done);

  CHECK(w.server.integer({"XLEN", keys::outbound("sms")}) == 1);
  auto const groups = w.server.list({"XINFO", "GROUPS", keys::outbound("sms")});
  CHECK(contains(groups, "senders"));
  auto const entry = w.server.list({"XRANGE", keys::outbound("sms"), "-", "+"});
  CHECK(contains(entry, id));
  CHECK(contains(entry, "01M8HMDJ70ZXE7TJQS55D6MWYZ"));
  // Answered: nothing pending, not unanswered, held by the replier, two messages in the case.
  CHECK(w.pending_by_consumer("telefoon") == "");
  CHECK(w.server.integer({"ZCARD", keys::inbox_unanswered("telefoon")}) == 0);
  CHECK(w.server.command({"HGET", keys::case_hash(id), "assignee"}) == "anna");
  CHECK(w.server.integer({"XLEN", keys::case_messages(id)}) == 2);

  auto report = [&](std::string status, std::string error = {}) {
    delivery_update u{id, "01M8HMDJ70ZXE7TJQS55D6MWYZ", std::move(status), 1, std::move(error), "2027-01-15T08:00:05Z"};
    return await<action>([&](auto d) { w.flow.report_delivery(u, d); }).second;
  };
  auto delivery = [&] { return nlohmann::json::parse(w.server.command({"HGET", keys::case_delivery(id), "01M8HMDJ70ZXE7TJQS55D6MWYZ"})); };
  CHECK(report("sent").status == action_status::done);
  CHECK(delivery()["status"] == "sent");
  CHECK(report("delivered").status == action_status::done);
  CHECK(report("sent").status == action_status::stale);
  CHECK(delivery()["status"] == "delivered");
  CHECK(contains(w.events(), "delivery.updated"));

  SUBCASE("a failure keeps its reason") {
    auto const id2 = w.new_case();
    reply_request r2 = reply;
    r2.case_id = id2;
    REQUIRE(await<action>([&](auto d) { w.flow.reply(r2, d); }).second.status == action_status::done);
    delivery_update u{id2, "01M8HMDJ70ZXE7TJQS55D6MWYZ", "failed", 3, "mailbox full", "2027-01-15T08:00:05Z"};
    REQUIRE(await<action>([&](auto d) { w.flow.report_delivery(u, d); }).second.status == action_status::done);
    auto const d = nlohmann::json::parse(w.server.command({"HGET", keys::case_delivery(id2), "01M8HMDJ70ZXE7TJQS55D6MWYZ"}));
    CHECK(d["status"] == "failed");
    CHECK(d["last_error"] == "mailbox full");
    CHECK(d["attempts"] == 3);
  }
}

TEST_CASE("a transfer moves the case, its unanswered messages and its place in the indexes to the other inbox") {
  workflow_stack w;
  auto const id = w.new_case();
  w.follow_up(id);
  REQUIRE(w.claim(id, "anna", t0).second.status == action_status::done);
  auto const [ec, r] = await<action>([&](auto d) { w.flow.transfer(id, "anna", "vergunningen", t0 + 1, d); });
  REQUIRE(!ec);
  REQUIRE(r.status == action_status::done);
  CHECK(w.server.command({"HGET", keys::case_hash(id), "inbox"}) == "vergunningen");
  CHECK(w.state(id) == "open");
  CHECK(w.pending_by_consumer("telefoon") == "");
  CHECK(w.pending_by_consumer("vergunningen") == "unassigned 2\n");
  CHECK(w.server.integer({"ZCARD", keys::inbox_open("telefoon")}) == 0);
  CHECK(w.server.integer({"ZCARD", keys::inbox_open("vergunningen")}) == 1);
  CHECK(w.server.integer({"ZCARD", keys::inbox_unanswered("vergunningen")}) == 1);
  CHECK(await<action>([&](auto d) { w.flow.transfer(id, "anna", "vergunningen", t0 + 2, d); }).second.status == action_status::same_inbox);
  // The next message of the resident follows the case to its new inbox.
  w.follow_up(id);
  CHECK(w.pending_by_consumer("vergunningen") == "unassigned 3\n");
}

TEST_CASE("an action whose access was checked against an inbox the case has left since is refused and changes nothing") {
  workflow_stack w;
  auto const id = w.new_case("telefoon");
  // Access was checked while the case was in telefoon; a colleague moved it to vergunningen in between.
  REQUIRE(await<action>([&](auto d) { w.flow.transfer(id, staff_actor{"bram", "telefoon"}, "vergunningen", t0, d); }).second.status ==
          action_status::done);
  auto const events_before = w.events().size();
  staff_actor const anna{"anna", "telefoon"};
  CHECK(await<action>([&](auto d) { w.flow.claim(id, anna, t0 + 1, ttl, d); }).second.status == action_status::moved);
  CHECK(await<action>([&](auto d) { w.flow.close(id, anna, t0 + 1, keep, d); }).second.status == action_status::moved);
  CHECK(await<action>([&](auto d) { w.flow.add_note(id, anna, "Notitie", t0 + 1, d); }).second.status == action_status::moved);
  CHECK(await<action>([&](auto d) { w.flow.transfer(id, anna, "algemeen", t0 + 1, d); }).second.status == action_status::moved);
  reply_request reply{id, "anna", t0 + 1, ttl, "01M8HMDJ70ZXE7TJQS55D6MWYZ", "sms", "{}", R"({"status":"queued","attempts":0})", "telefoon"};
  CHECK(await<action>([&](auto d) { w.flow.reply(reply, d); }).second.status == action_status::moved);
  CHECK(w.state(id) == "open");
  CHECK(w.server.command({"HGET", keys::case_hash(id), "inbox"}) == "vergunningen");
  CHECK(w.server.integer({"XLEN", keys::case_notes(id)}) == 0);
  CHECK(w.events().size() == events_before);
  // Checked against the inbox it is in now, the same claim goes through.
  CHECK(await<action>([&](auto d) { w.flow.claim(id, staff_actor{"anna", "vergunningen"}, t0 + 2, ttl, d); }).second.status ==
        action_status::done);
}

TEST_CASE("close answers everything; reopen, and a new message from the resident, open it again") {
  workflow_stack w;
  auto const id = w.new_case();
  REQUIRE(await<action>([&](auto d) { w.flow.close(id, "anna", t0, keep, d); }).second.status == action_status::done);
  CHECK(w.state(id) == "closed");
  CHECK(w.pending_by_consumer("telefoon") == "");
  CHECK(w.server.integer({"ZCARD", keys::inbox_open("telefoon")}) == 0);
  CHECK(await<action>([&](auto d) { w.flow.close(id, "anna", t0, keep, d); }).second.status == action_status::closed);
  CHECK(w.claim(id, "anna", t0).second.status == action_status::closed);

  SUBCASE("reopen") {
    CHECK(await<action>([&](auto d) { w.flow.reopen(id, "anna", t0 + 1, d); }).second.status == action_status::done);
    CHECK(w.state(id) == "open");
    CHECK(await<action>([&](auto d) { w.flow.reopen(id, "anna", t0 + 2, d); }).second.status == action_status::not_closed);
  }
  SUBCASE("the resident writes again") {
    w.follow_up(id);
    CHECK(w.state(id) == "open");
    CHECK(w.pending_by_consumer("telefoon") == "unassigned 1\n");
    CHECK(contains(w.events(), "case.reopened"));
  }
}

TEST_CASE("a message for a case that does not exist is refused and stores nothing") {
  workflow_stack w;
  auto m = phone_message(w.ids, "call-x");
  auto const [ec, r] = enqueue(*w.store, m, "k:x", /*new_case=*/false);
  CHECK(ec == errc::no_such_case);
  CHECK(w.server.integer({"EXISTS", keys::dedup("k:x")}) == 0);
  CHECK(w.server.integer({"EXISTS", keys::inbox_stream("telefoon")}) == 0);
}

TEST_CASE("notes are kept with their author; actions leave audit lines without contents") {
  workflow_stack w;
  auto const id = w.new_case();
  auto const [ec, r] = await<action>([&](auto d) { w.flow.add_note(id, "anna", "Bewoner belt liever na 16 uur.", t0, d); });
  REQUIRE(!ec);
  REQUIRE(r.status == action_status::done);
  auto const note = w.server.list({"XRANGE", keys::case_notes(id), "-", "+"});
  CHECK(contains(note, "anna"));
  CHECK(contains(note, "Bewoner belt liever na 16 uur."));
  REQUIRE(w.claim(id, "anna", t0).second.status == action_status::done);
  auto const audit = w.server.list({"XRANGE", std::string(keys::audit), "-", "+"});
  CHECK(contains(audit, "case.note"));
  CHECK(contains(audit, "case.claim"));
  for (auto const& line : audit) CHECK(line.find("16 uur") == std::string::npos);
}

TEST_CASE("the case list filters by state, channel and priority and pages without skipping cases of the same moment") {
  workflow_stack w;
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(w.new_case("algemeen", i % 2 ? priority::high : priority::normal, i < 5 ? channel::phone : channel::email));
  // Give five cases one and the same activity time, so paging must break ties.
  for (int i = 0; i < 5; ++i) w.server.command({"ZADD", keys::inbox_open("algemeen"), "1000", ids[static_cast<std::size_t>(i)]});
  REQUIRE(w.claim(ids[0], "anna", t0).second.status == action_status::done);

  using page = std::tuple<boost::system::error_code, std::vector<case_summary>, std::string>;
  auto list = [&](case_filter f, std::size_t limit, std::string cursor) {
    return await<page>([&](auto d) { w.store->list_cases("algemeen", f, limit, cursor, d); });
  };
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto const [ec, cases, next] = list({}, 2, cursor);
    REQUIRE(!ec);
    for (auto const& c : cases) CHECK(seen.insert(c.case_id).second);
    cursor = next;
  } while (!cursor.empty() && ++pages < 10);
  CHECK(seen.size() == 7);

  auto count = [&](case_filter f) { return std::get<1>(list(std::move(f), 100, "")).size(); };
  CHECK(count({"claimed", {}, {}}) == 1);
  CHECK(count({"open", {}, {}}) == 6);
  CHECK(count({{}, "email", {}}) == 2);
  CHECK(count({{}, {}, "high"}) == 3);
  CHECK(count({"closed", {}, {}}) == 0);
}

TEST_CASE("the event feed replays what a client missed, and says when that is too much") {
  workflow_stack w;
  auto const id = w.new_case();
  auto const first = w.server.list({"XRANGE", std::string(keys::events), "-", "+", "COUNT", "1"}).front();
  REQUIRE(w.claim(id, "anna", t0).second.status == action_status::done);
  w.follow_up(id);
  auto feed = std::make_shared<event_feed>(w.h->redis, w.h->redis);
  using replayed = std::tuple<boost::system::error_code, std::vector<live_event>, bool>;
  auto const [ec, events, complete] = await<replayed>([&](auto d) { feed->replay(first, 100, d); });
  REQUIRE(!ec);
  CHECK(complete);
  REQUIRE(events.size() == 3);  // the new message of the first case, the claim, the follow-up's message
  CHECK(events[1].field("type") == "case.claimed");
  CHECK(events[2].field("type") == "message.created");
  auto const [ec2, some, complete2] = await<replayed>([&](auto d) { feed->replay(first, 2, d); });
  CHECK(!complete2);
  CHECK(some.size() == 2);
}
