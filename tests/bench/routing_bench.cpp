// Routing cost against enqueue cost, side by side in one run (the routing
// issue's goal: 200 rules over a 4 KB message under 5 % of its enqueue).
// One process: a private durable Redis (AOF appendfsync always, the
// production setting) and Balie's own case_store, and the router with 200
// rules of which only the last matches (the worst case: every rule tried).
// The same 4 KB Dutch message is routed and enqueued (each enqueue a new
// case), one at a time; medians of per-message times are compared.
// A doctest program (the queue test harness brings doctest's main) that CTest
// does not run: build/tests/routing_bench, BENCH_MESSAGES=N for another count.
#include "routing/router.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

using namespace balie;
using clock_type = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// 4 KB of ordinary Dutch with no word any rule asks for but the last.
std::string four_kilobytes() {
  std::string const sentence =
      "Geachte heer of mevrouw, op de hoek van onze straat staan al weken de containers van de buren vol met spullen, "
      "en ik wil graag weten wanneer de gemeente daar iets aan doet. ";
  std::string text;
  while (text.size() + sentence.size() < 4000) text += sentence;
  return text + "lantaarnpaal";
}

routing::routing_config two_hundred_rules() {
  nlohmann::json rules = nlohmann::json::array();
  for (int i = 0; i < 199; ++i)
    rules.push_back({{"name", "regel-" + std::to_string(i)},
                     {"match", {{"words", {"onderwerp" + std::to_string(i), "zaak" + std::to_string(i) + " extra", "melding" + std::to_string(i)}}}},
                     {"inbox", "algemeen"}});
  rules.push_back({{"name", "verlichting"}, {"match", {{"words", {"lantaarnpaal", "straatverlichting"}}}}, {"inbox", "telefoon"}});
  nlohmann::json const section = {{"rules", rules}};
  channels::object_reader r(section, "/routing");
  return routing::routing_config{"algemeen", {}, routing::read_rules(r, {"algemeen", "telefoon"})};
}

} // namespace

TEST_CASE("routing 200 rules over a 4 KB message against the durable enqueue of that message") {
  int const messages = std::getenv("BENCH_MESSAGES") ? std::atoi(std::getenv("BENCH_MESSAGES")) : 2000;
  routing::router const router(two_hundred_rules());
  test::queue_stack q;
  id_source ids;
  auto message = test::phone_message(ids, "bench");
  message.text = four_kilobytes();

  std::vector<double> route_us, enqueue_us;
  int errors = 0;
  for (int i = 0; i < messages; ++i) {
    auto m = message;
    m.id = ids.ulid(m.received_at);
    m.case_id = ids.ulid(m.received_at);
    m.reference = ids.case_reference();
    auto const t0 = clock_type::now();
    m.routing = router.route(m);
    auto const t1 = clock_type::now();
    auto const [ec, stored] = test::enqueue(*q.store, m, "bench:" + std::to_string(i));
    auto const t2 = clock_type::now();
    if (ec || m.routing->rule != "verlichting") ++errors;
    route_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    enqueue_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  auto const r = median(route_us), e = median(enqueue_us);
  std::cout << nlohmann::json{{"messages", messages},         {"errors", errors},       {"rules", 200},
                              {"message_bytes", message.text.size()}, {"route_median_us", r}, {"enqueue_median_us", e},
                              {"route_share_of_enqueue", r / e}}
                   .dump()
            << '\n';
  CHECK(errors == 0);  // an error is never reported as a figure
}
