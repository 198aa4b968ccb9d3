// Assignment per inbox against a real redis-server, with three staff of whom
// one is not available: round robin takes the available ones in turn; fewest
// open takes whoever has the fewest open cases proposed to or claimed by
// them; a proposal is not a claim and no human action (the watchdog keeps
// watching); a claimed, moved or already proposed case is left alone.
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "queue/staff_assignment.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>

using namespace balie;
using namespace balie::queue;
using namespace balie::test;

namespace {

constexpr long long t0 = 1'800'000'000'000;
std::vector<std::string> const staff = {"cees", "anna", "bram"};  // the inbox's staff, in any order

struct assignment_stack : queue_stack {
  staff_assignment assign{h->redis};
  case_workflow flow{h->redis};
  id_source ids;
  int counter = 0;

  assignment_stack() {
    available("anna", true);
    available("bram", true);
    available("cees", false);  // cees is in the inbox but not taking new cases
  }
  void available(std::string const& name, bool yes) {
    REQUIRE(!await<boost::system::error_code>([&](auto done) { assign.set_available(name, yes, t0, done); }));
  }
  /// A new case in the `telefoon` inbox, with a promise (the watchdog watches it).
  std::string new_case() {
    auto m = phone_message(ids, "call-" + std::to_string(counter++));
    std::promise<std::string> p;
    store->enqueue(m, "k:" + m.id, true, [&](boost::system::error_code ec, enqueue_result r) {
      REQUIRE(!ec);
      p.set_value(r.case_id);
    }, {}, {}, case_promise{timestamp{std::chrono::milliseconds{t0 + 3'600'000}}, timestamp{std::chrono::milliseconds{t0 + 7'200'000}}});
    return p.get_future().get();
  }
  std::string propose(std::string const& id, assignment_mode mode, std::string const& inbox = "telefoon") {
    auto const [ec, chosen] =
        await<std::pair<boost::system::error_code, std::string>>([&](auto done) { assign.propose(id, inbox, mode, staff, t0, done); });
    REQUIRE(!ec);
    return chosen;
  }
  void act(std::function<void(std::function<void(boost::system::error_code, action_result)>)> const& what) {
    auto const [ec, r] = await<std::pair<boost::system::error_code, action_result>>([&](auto done) { what(done); });
    REQUIRE(!ec);
    REQUIRE(r.status == action_status::done);
  }
  std::string field(std::string const& id, std::string const& f) { return server.command({"HGET", keys::case_hash(id), f}); }
};

} // namespace

TEST_CASE("round robin proposes each new case to the next available person in turn, never to one who is away") {
  assignment_stack s;
  std::vector<std::string> chosen;
  for (int i = 0; i < 4; ++i) chosen.push_back(s.propose(s.new_case(), assignment_mode::round_robin));
  CHECK(chosen == std::vector<std::string>{"anna", "bram", "anna", "bram"});
  s.available("cees", true);
  s.available("anna", false);
  chosen.clear();
  for (int i = 0; i < 2; ++i) chosen.push_back(s.propose(s.new_case(), assignment_mode::round_robin));
  CHECK(std::find(chosen.begin(), chosen.end(), "anna") == chosen.end());
  CHECK(std::find(chosen.begin(), chosen.end(), "cees") != chosen.end());
}

TEST_CASE("fewest open proposes to the available person with the fewest open cases; closed and others' claims do not count") {
  assignment_stack s;
  // anna holds two claimed cases; bram none; cees none but away.
  for (int i = 0; i < 2; ++i) {
    auto const id = s.new_case();
    s.act([&](auto done) { s.flow.claim(id, "anna", t0, std::chrono::minutes(30), done); });
  }
  auto const first = s.new_case();
  CHECK(s.propose(first, assignment_mode::fewest_open) == "bram");
  auto const second = s.new_case();
  CHECK(s.propose(second, assignment_mode::fewest_open) == "bram");  // bram 1, anna 2
  auto const third = s.new_case();
  CHECK(s.propose(third, assignment_mode::fewest_open) == "anna");  // 2 and 2: by name
  // bram's two proposals end: one closed, one claimed by anna. Now bram has none, anna four.
  s.act([&](auto done) { s.flow.close(first, "bram", t0, std::chrono::seconds(60), done); });
  s.act([&](auto done) { s.flow.claim(second, "anna", t0, std::chrono::minutes(30), done); });
  CHECK(s.propose(s.new_case(), assignment_mode::fewest_open) == "bram");
  CHECK(s.server.integer({"SCARD", keys::staff_cases("bram")}) == 1);  // the stale ones were dropped when counted
}

TEST_CASE("a proposal is no claim and no human action; claimed, moved and proposed cases are left alone; nobody available: no proposal") {
  assignment_stack s;
  auto const id = s.new_case();
  CHECK(s.propose(id, assignment_mode::round_robin) == "anna");
  CHECK(s.field(id, "proposed_to") == "anna");
  CHECK(s.field(id, "state") == "open");     // anyone may still claim it
  CHECK(s.field(id, "assignee") == "");
  CHECK(s.server.command({"ZSCORE", std::string(keys::watch), id}) != "");  // still waiting for a person
  CHECK(s.propose(id, assignment_mode::round_robin) == "");  // once

  auto const claimed = s.new_case();
  s.act([&](auto done) { s.flow.claim(claimed, "cees", t0, std::chrono::minutes(30), done); });
  CHECK(s.propose(claimed, assignment_mode::round_robin) == "");  // a claimed case keeps its owner
  CHECK(s.field(claimed, "assignee") == "cees");

  auto const moved = s.new_case();
  CHECK(s.propose(moved, assignment_mode::round_robin, "algemeen") == "");  // not in that inbox

  s.available("anna", false);
  s.available("bram", false);
  auto const lonely = s.new_case();
  CHECK(s.propose(lonely, assignment_mode::fewest_open) == "");
  CHECK(s.field(lonely, "proposed_to") == "");
  CHECK(s.propose(lonely, assignment_mode::none) == "");
  bool audited = false;
  for (auto const& e : s.server.list({"XRANGE", std::string(keys::audit), "-", "+"})) audited = audited || e == "staff.unavailable";
  CHECK(audited);
}
