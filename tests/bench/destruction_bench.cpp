// What destroying one case costs Redis: the destruction script
// (queue/case_retention.hpp) against a raw baseline measured in the same run
// that does the plainest version of the same deletions — DEL of the case's
// keys, XDEL of its inbox entries, ZREM from the inbox lists, one HINCRBY per
// file — as one pipeline of plain commands. Both sides: the same private Redis
// under `appendfsync always`, one case at a time, cases built alike through
// Balie's own enqueue and close (10 messages, 2 files each). The script does
// more (the checks, the tombstone, the destruction list, events, audit); the
// ratio says what that costs while Redis is held. Any error fails the run.
//
// A doctest program that CTest does not run: build/tests/destruction_bench;
// BENCH_CASES=N for another count (default 1000 per side).
#include "queue/case_retention.hpp"
#include "queue/keys.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

using namespace balie;
using namespace balie::queue;
using namespace balie::test;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr long long closed_at = 1'800'000'000'000;
constexpr int messages_per_case = 10;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

/// A closed case of `messages_per_case` messages from the resident, two with a file.
std::string build_case(queue_stack& s, case_workflow& flow, id_source& ids, int n) {
  std::string case_id;
  for (int i = 0; i < messages_per_case; ++i) {
    auto m = phone_message(ids, "bench-" + std::to_string(n) + "-" + std::to_string(i));
    if (i > 0) m.case_id = case_id;
    if (i < 2) m.attachments.push_back({"brief.pdf", "application/pdf", 10, sha256_hex(std::to_string(n) + "/" + std::to_string(i)), "x"});
    auto const [ec, r] = enqueue(*s.store, m, "k:" + m.id, i == 0);
    REQUIRE(!ec);
    case_id = r.case_id;
  }
  retention_plan const plan{{{"informatieverzoek", closed_at + 1}}, "informatieverzoek", {}, {}};
  auto const [ec, r] = await<std::pair<boost::system::error_code, action_result>>(
      [&](auto done) { flow.close(case_id, "bench", closed_at, std::chrono::hours(1), done, plan.json()); });
  REQUIRE(!ec);
  REQUIRE(r.status == action_status::done);
  return case_id;
}

struct side {
  std::vector<double> ms;
  double total_s = 0;
};

void report(char const* name, side const& s) {
  std::cout << name << ": " << s.ms.size() << " cases in " << s.total_s << " s; per case p50 " << percentile(s.ms, 0.5) << " ms, p99 "
            << percentile(s.ms, 0.99) << " ms\n";
}

} // namespace

TEST_CASE("destruction bench: the script against plain deletions, one case at a time, appendfsync always") {
  int const count = std::getenv("BENCH_CASES") ? std::atoi(std::getenv("BENCH_CASES")) : 1000;
  queue_stack s;
  case_workflow flow(s.h->redis);
  case_retention retention(s.h->redis);
  id_source ids;
  std::vector<std::string> scripted, raw;
  for (int i = 0; i < count; ++i) scripted.push_back(build_case(s, flow, ids, i));
  for (int i = 0; i < count; ++i) raw.push_back(build_case(s, flow, ids, count + i));

  side script_side, raw_side;
  auto const script_start = clock_type::now();
  for (auto const& id : scripted) {
    auto const t = clock_type::now();
    auto const [ec, r] = await<std::pair<boost::system::error_code, destroy_result>>([&](auto done) { retention.destroy(id, closed_at + 2, "", done); });
    script_side.ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t).count());
    REQUIRE(!ec);
    REQUIRE(r.status == destroy_status::destroyed);
    REQUIRE(r.orphaned.size() == 2);
  }
  script_side.total_s = std::chrono::duration<double>(clock_type::now() - script_start).count();

  auto const raw_start = clock_type::now();
  for (auto const& id : raw) {
    auto const t = clock_type::now();
    // What the baseline needs to know is read first, as the script reads it: the entries and the files.
    auto const [read_ec, known] = await<std::pair<boost::system::error_code, std::vector<redis_reply>>>([&](auto done) {
      run_all(*s.h->redis, {{"SMEMBERS", keys::case_entries(id)}, {"LRANGE", keys::case_files(id), "0", "-1"}}, done);
    });
    REQUIRE(!read_ec);
    std::vector<std::string> entries, files;
    for (auto const& e : known[0].elements) entries.push_back(e.str);
    for (auto const& f : known[1].elements) files.push_back(f.str);
    std::vector<std::vector<std::string>> commands = {
        {"DEL", keys::case_hash(id), keys::case_messages(id), keys::case_terms(id), keys::case_participants(id), keys::case_entries(id),
         keys::case_files(id)},
        {"ZREM", keys::inbox_cases("telefoon"), id},
        {"ZREM", keys::inbox_open("telefoon"), id},
        {"ZREM", std::string(keys::retention), id}};
    for (auto const& e : entries) commands.push_back({"XDEL", keys::inbox_stream("telefoon"), e.substr(e.rfind(' ') + 1)});
    for (auto const& f : files) commands.push_back({"HINCRBY", std::string(keys::files), f, "-1"});
    auto const [ec, replies] = await<std::pair<boost::system::error_code, std::vector<redis_reply>>>(
        [&](auto done) { run_all(*s.h->redis, std::move(commands), done); });
    raw_side.ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t).count());
    REQUIRE(!ec);
  }
  raw_side.total_s = std::chrono::duration<double>(clock_type::now() - raw_start).count();

  report("destruction script", script_side);
  report("plain deletions (baseline)", raw_side);
  std::cout << "ratio (script time / baseline time, per case, p50): " << percentile(script_side.ms, 0.5) / percentile(raw_side.ms, 0.5)
            << "; throughput ratio (baseline / script): " << raw_side.total_s / script_side.total_s << "\n";
}
