// Routing cost against enqueue cost, side by side in one run (the routing
// issue's goal: 200 rules over a 4 KB message under 5 % of its enqueue).
// One process: a private durable Redis (AOF appendfsync always, the
// production setting) and Balie's own case_store, and the router with 200
// rules of which only the last matches (the worst case: every rule tried).
// Each message is a different 4 KB text: words drawn by Zipf's law (as words
// in real letters are) from a vocabulary of 50,000: the 100 most frequent
// Dutch words, then made-up Dutch-shaped ones, so the router meets new words
// all the time, as it would in service. The rules ask for 597 more made-up
// words (a word and a two-word phrase each), so their openings are spread as
// the text's are.
// Each is routed and then enqueued as a new case, one at a time; medians of
// per-message times are compared, and the 99th percentiles are shown.
// A doctest program (the queue test harness brings doctest's main) that CTest
// does not run: build/tests/routing_bench, BENCH_MESSAGES=N for another count.
#include "routing/dutch_words.hpp"
#include "routing/router.hpp"
#include "tests/bench/common_words.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <set>

using namespace balie;
using clock_type = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

constexpr std::size_t vocabulary_size = 50'000, rule_word_count = std::size_t{199} * 3;

using bench::common_words;

/// Distinct words built from Dutch prefixes, syllables and endings: the rest of the letters' vocabulary
/// (rank 101 and on), then the rules' words, whose stems are no vocabulary word's stem.
std::vector<std::string> made_up_words() {
  static constexpr char const* prefixes[] = {"ver", "be", "ge", "ont", "her", "aan", "op", "uit", "over", "onder", "in", "af", "toe", "door", "mee"};
  static constexpr char const* onsets[] = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",  "n",  "p",  "r",  "s",  "t",   "v",   "w",  "z",
                                           "st", "sch", "gr", "br", "kl", "vr", "sp", "dr", "fl", "fr", "gl", "kn", "kr", "pl", "pr", "sl", "str", "tr", "zw"};
  static constexpr char const* vowels[] = {"a", "e", "i", "o", "u", "aa", "ee", "oo", "ij", "ui", "ou", "ie", "eu", "ei", "au"};
  static constexpr char const* endings[] = {"", "en", "s", "je", "heid", "ing", "lijk", "te", "de", "er", "baar", "tjes", "t", "k", "n", "l"};
  std::vector<std::string> out(std::begin(common_words), std::end(common_words));
  std::set<std::string> words(out.begin(), out.end()), stems;
  for (auto const& w : out) stems.insert(routing::word_stems(w).front());
  std::mt19937 draw(7);
  auto pick = [&](auto const& list) { return std::string(list[draw() % std::size(list)]); };
  while (out.size() < vocabulary_size + rule_word_count) {
    std::string w = draw() % 10 < 3 ? pick(prefixes) : "";
    // Topic words, as rules ask for, are mostly longer: a rule word has two or three syllables, but
    // one in twenty only one (as `gft` or `wmo`); a short stem makes more words worth a closer look.
    bool const rule_word = out.size() >= vocabulary_size;
    auto syllables = 1 + draw() % 3;
    if (rule_word && syllables == 1 && draw() % 20 != 0) syllables = 2 + draw() % 2;
    for (; syllables > 0; --syllables) w += pick(onsets) + pick(vowels);
    w += pick(endings);
    auto const stem = routing::word_stems(w).front();
    if (!words.insert(w).second || (rule_word && stems.count(stem))) continue;
    if (!rule_word) stems.insert(stem);
    out.push_back(w);
  }
  std::shuffle(out.begin() + std::size(common_words), out.begin() + vocabulary_size, draw);
  return out;
}

/// `count` texts of 4 KB, each ending in the one word a rule (the last) asks for.
std::vector<std::string> letters(std::vector<std::string> const& words, int count) {
  std::vector<double> weights;
  for (std::size_t rank = 1; rank <= vocabulary_size; ++rank) weights.push_back(1.0 / static_cast<double>(rank));
  std::discrete_distribution<std::size_t> zipf(weights.begin(), weights.end());
  std::mt19937 draw(11);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string text = "Geachte heer of mevrouw,";
    while (text.size() < 3980) text += (draw() % 12 == 0 ? ". " : " ") + words[zipf(draw)];
    out.push_back(text + ". Het gaat om de lantaarnpaal");
  }
  return out;
}

/// 199 rules that never match (their words are outside the vocabulary), then one that does.
routing::routing_config two_hundred_rules(std::vector<std::string> const& words) {
  nlohmann::json rules = nlohmann::json::array();
  auto word = words.begin() + vocabulary_size;
  for (int i = 0; i < 199; ++i, word += 3)
    rules.push_back({{"name", "regel-" + std::to_string(i)}, {"match", {{"words", {word[0], word[1] + " " + word[2]}}}}, {"inbox", "algemeen"}});
  rules.push_back({{"name", "verlichting"}, {"match", {{"words", {"lantaarnpaal", "straatverlichting"}}}}, {"inbox", "telefoon"}});
  nlohmann::json const section = {{"rules", rules}};
  channels::object_reader r(section, "/routing");
  return routing::routing_config{"algemeen", {}, routing::read_rules(r, {"algemeen", "telefoon"})};
}

} // namespace

TEST_CASE("routing 200 rules over a 4 KB message against the durable enqueue of that message") {
  int const messages = std::getenv("BENCH_MESSAGES") ? std::atoi(std::getenv("BENCH_MESSAGES")) : 2000;
  auto const words = made_up_words();
  routing::router const router(two_hundred_rules(words));
  test::queue_stack q;
  id_source ids;
  auto const message = test::phone_message(ids, "bench");
  auto const texts = letters(words, messages);

  std::vector<double> route_us, enqueue_us;
  int errors = 0;
  for (int i = 0; i < messages; ++i) {
    auto m = message;
    m.text = texts[static_cast<std::size_t>(i)];
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
  auto const r = percentile(route_us, 0.5), e = percentile(enqueue_us, 0.5);
  std::cout << nlohmann::json{{"messages", messages},
                              {"errors", errors},
                              {"rules", 200},
                              {"message_bytes", texts.front().size()},
                              {"route_median_us", r},
                              {"route_p99_us", percentile(route_us, 0.99)},
                              {"enqueue_median_us", e},
                              {"enqueue_p99_us", percentile(enqueue_us, 0.99)},
                              {"route_share_of_enqueue", r / e}}
                   .dump()
            << '\n';
  CHECK(errors == 0);  // an error is never reported as a figure
}
