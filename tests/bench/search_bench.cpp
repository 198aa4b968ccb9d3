// Staff search over 1,000,000 stored messages against the plain listing of one
// inbox, side by side in one run (the search issue's goal: p99 under 50 ms).
// One private Redis is filled through Balie's own enqueue script, index and
// all (AOF without fsync while filling: the fill is not what is measured),
// then a real balied answers both kinds of request over one keep-alive
// connection each, one at a time: `GET /api/v1/search` (and `POST` for
// addresses) and `GET /api/v1/inboxes/algemeen/cases`, both 20 results, both
// through the same HTTP, authorisation, audit-free read and JSON path (the
// search also writes its audit line, which the listing does not: search pays
// for it). Any answer but 200 fails the run.
//
// The messages: 250,000 cases of 4 messages in three inboxes, each of about 40
// words drawn by Zipf's law from the 100 most frequent Dutch words and 50,000
// made-up ones, plus one or two of 40 municipal topic words (also by Zipf's
// law, so `paspoort` is on tens of thousands of cases and `kapvergunning` on
// few). The queries mix what staff type: one topic word, two, three with a
// rare word, a surname, a phone number, a reference.
//
// Second, the index's cost on the durable enqueue: the same 2,000 messages
// enqueued with and without their index tokens, under `appendfsync always`.
//
// A doctest program that CTest does not run: build/tests/search_bench;
// BENCH_MESSAGES=N for another size, BENCH_QUERIES=N for another count.
#include "channels/time_format.hpp"
#include "queue/keys.hpp"
#include "search/index_terms.hpp"
#include "tests/bench/common_words.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <unordered_set>

using namespace balie;
using clock_type = std::chrono::steady_clock;
using nlohmann::json;

namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

int env_or(char const* name, int fallback) { return std::getenv(name) ? std::atoi(std::getenv(name)) : fallback; }

using bench::common_words;

constexpr char const* topics[] = {
    "paspoort",  "container", "afval",      "parkeervergunning", "rijbewijs",  "grofvuil",   "huurtoeslag", "bijstand",   "wmo",
    "verhuizing", "identiteitskaart", "lantaarnpaal", "stoep", "boom", "geluidsoverlast", "uitkering", "belasting", "aanslag", "bezwaar",
    "trouwen",   "geboorte",  "uittreksel", "omgevingsvergunning", "dakkapel", "schutting", "speeltuin", "riolering", "zwerfvuil",
    "fietswrak", "hondenbelasting", "kwijtschelding", "schuldhulp", "jeugdzorg", "leerlingenvervoer", "mantelzorg", "rolstoel",
    "kapvergunning", "evenementenvergunning", "standplaats", "markt"};

constexpr char const* first_names[] = {"Jan", "Petra", "Mohammed", "Anna", "Kees", "Fatima", "Henk", "Sanne", "Ahmed", "Lisa", "Willem", "Noor"};

std::vector<std::string> vocabulary() {
  static constexpr char const* onsets[] = {"b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "st", "gr", "br", "kl", "vr", "sp"};
  static constexpr char const* vowels[] = {"a", "e", "i", "o", "u", "aa", "ee", "oo", "ij", "ui", "ou", "ie", "eu", "ei"};
  static constexpr char const* endings[] = {"", "en", "s", "je", "heid", "ing", "lijk", "te", "de", "er", "t", "k", "n", "l"};
  std::vector<std::string> out(std::begin(common_words), std::end(common_words));
  std::set<std::string> seen(out.begin(), out.end());
  std::mt19937 draw(7);
  auto pick = [&](auto const& list) { return std::string(list[draw() % std::size(list)]); };
  while (out.size() < 50'000) {
    std::string w;
    for (auto syllables = 1 + draw() % 3; syllables > 0; --syllables) w += pick(onsets) + pick(vowels);
    w += pick(endings);
    if (seen.insert(w).second) out.push_back(w);
  }
  return out;
}

std::string surname(std::size_t i, std::vector<std::string> const& words) {
  auto s = words[1000 + (i * 7919) % 40'000];  // a made-up word as a family name: some rare, some shared
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string phone_of(std::size_t c) {
  auto digits = std::to_string(c);
  return "+316" + std::string(8 - digits.size(), '0') + digits;
}

struct corpus {
  std::vector<std::string> words = vocabulary();
  std::discrete_distribution<std::size_t> zipf_words, zipf_topics;
  corpus() {
    std::vector<double> w, t;
    for (std::size_t rank = 1; rank <= words.size(); ++rank) w.push_back(1.0 / static_cast<double>(rank));
    for (std::size_t rank = 1; rank <= std::size(topics); ++rank) t.push_back(1.0 / static_cast<double>(rank));
    zipf_words = {w.begin(), w.end()};
    zipf_topics = {t.begin(), t.end()};
  }
  std::string text(std::mt19937& draw) {
    std::string out = "Beste gemeente,";
    for (int i = 0; i < 40; ++i) out += (draw() % 12 == 0 ? ". " : " ") + words[zipf_words(draw)];
    for (auto n = 1 + draw() % 2; n > 0; --n) out += " " + std::string(topics[zipf_topics(draw)]);
    return out + ".";
  }
};

constexpr char const* inboxes[] = {"algemeen", "telefoon", "vergunningen"};

} // namespace

TEST_CASE("search over a million stored messages against listing one inbox") {
  int const messages = env_or("BENCH_MESSAGES", 1'000'000), queries = env_or("BENCH_QUERIES", 1000);
  std::size_t const cases = static_cast<std::size_t>(std::max(1, messages / 4));
  // Reads are measured: the fill runs without fsync, and balied is told to accept that.
  test::queue_stack q([](queue::redis_options& o) { o.require_durability = false; }, /*durable=*/false);
  REQUIRE(q.h->wait_event("redis.ready"));
  corpus words;
  id_source ids;
  std::vector<std::string> case_ids(cases), references(cases);
  std::unordered_set<std::string> taken;
  std::mt19937 draw(11);

  // Filling: up to 64 enqueues in flight.
  auto const fill_start = clock_type::now();
  std::mutex mutex;
  std::condition_variable cv;
  int in_flight = 0, errors = 0;
  std::string first_error;
  auto const base_time = system_now() - std::chrono::hours(24 * 365);
  for (int i = 0; i < messages; ++i) {
    auto const c = static_cast<std::size_t>(i) % cases;
    bool const first = static_cast<std::size_t>(i) < cases;
    case_message m;
    m.received_at = m.occurred_at = base_time + std::chrono::seconds(i * 30);
    m.id = ids.ulid(m.received_at);
    if (first) {
      case_ids[c] = ids.ulid(m.received_at);
      // 250,000 draws from 32^6 references collide a few dozen times; balied mints another then, so does this.
      do references[c] = ids.case_reference();
      while (!taken.insert(references[c]).second);
    }
    m.case_id = case_ids[c];
    m.reference = references[c];
    m.channel = c % 2 ? channel::phone : channel::email;
    m.provider = "bench";
    m.resident.name = std::string(first_names[c % std::size(first_names)]) + " " + surname(c, words.words);
    m.resident.addresses = {{"phone", phone_of(c)}};
    m.text = words.text(draw);
    m.routing = routing_info{inboxes[c % 3], priority::normal, std::nullopt, "bench"};
    queue::case_index const index{search::index_tokens(m), m.text.substr(0, 60)};
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return in_flight < 64; });
    ++in_flight;
    lock.unlock();
    q.store->enqueue(m, "bench:" + std::to_string(i), first, [&](boost::system::error_code ec, queue::enqueue_result) {
      std::lock_guard g(mutex);
      errors += ec ? 1 : 0;
      if (ec && first_error.empty()) first_error = ec.message();
      --in_flight;
      cv.notify_all();
    }, {}, {}, std::nullopt, index);
  }
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  INFO(first_error);
  REQUIRE(errors == 0);
  auto const fill_s = std::chrono::duration<double>(clock_type::now() - fill_start).count();
  auto const memory = q.server.command({"MEMORY", "STATS"});

  // Filled through the enqueue script, so indexed already: the one-time pass over older cases is not needed.
  q.server.command({"SET", std::string(queue::keys::search_backfilled), "1"});
  test::temp_dir dir;
  test::balied_process balied({q.server.socket(), dir.path, json{{"redis", {{"require_durability", false}}}}});
  test::http_connection search_conn(balied.port()), list_conn(balied.port());
  std::vector<std::pair<std::string, std::string>> const auth = {{"Authorization", "Bearer staff-demo-token"}, {"Content-Type", "application/json"}};

  // The queries, drawn as staff would type them.
  std::mt19937 pick(13);
  std::discrete_distribution<std::size_t> topic_rank;
  {
    std::vector<double> t;
    for (std::size_t rank = 1; rank <= std::size(topics); ++rank) t.push_back(1.0 / static_cast<double>(rank));
    topic_rank = {t.begin(), t.end()};
  }
  auto topic = [&] { return std::string(topics[topic_rank(pick)]); };
  std::map<std::string, std::vector<double>> by_kind;
  std::vector<double> search_ms, list_ms;
  std::size_t found = 0;
  for (int i = 0; i < queries; ++i) {
    auto const c = pick() % cases;
    std::string kind, method = "GET", target, body;
    switch (i % 10) {
      case 0: case 1: kind = "one topic word", target = topic(); break;
      case 2: case 3: kind = "two topic words", target = topic() + "%20" + topic(); break;
      case 4: case 5: kind = "three words, one rare", target = topic() + "%20" + topic() + "%20" + words.words[5000 + pick() % 40'000]; break;
      case 6: case 7: kind = "surname", target = surname(c, words.words); break;
      case 8: kind = "phone number", method = "POST", body = json{{"q", "06-" + phone_of(c).substr(4)}}.dump(); break;
      default: kind = "reference", target = references[c]; break;
    }
    auto const t0 = clock_type::now();
    auto const r = method == "GET" ? search_conn.call("GET", "/api/v1/search?limit=20&q=" + target, auth) : search_conn.call("POST", "/api/v1/search", auth, body);
    auto const t1 = clock_type::now();
    auto const l = list_conn.call("GET", "/api/v1/inboxes/algemeen/cases?limit=20", auth);
    auto const t2 = clock_type::now();
    INFO(kind, " ", target, body, " ", r.body.substr(0, 200));
    REQUIRE(r.status == 200);
    REQUIRE(l.status == 200);
    found += json::parse(r.body)["results"].size();
    double const s_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    search_ms.push_back(s_ms);
    by_kind[kind].push_back(s_ms);
    list_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  json kinds = json::object();
  for (auto const& [kind, v] : by_kind) kinds[kind] = {{"p50_ms", percentile(v, 0.5)}, {"p99_ms", percentile(v, 0.99)}};
  std::cout << json{{"messages", messages},
                    {"cases", cases},
                    {"fill_seconds", fill_s},
                    {"redis_memory", memory.substr(0, memory.find('\n', memory.find("total.allocated") + 16))},
                    {"queries", queries},
                    {"results_per_query", static_cast<double>(found) / queries},
                    {"search_p50_ms", percentile(search_ms, 0.5)},
                    {"search_p99_ms", percentile(search_ms, 0.99)},
                    {"list_p50_ms", percentile(list_ms, 0.5)},
                    {"list_p99_ms", percentile(list_ms, 0.99)},
                    {"p99_ratio_search_to_list", percentile(search_ms, 0.99) / percentile(list_ms, 0.99)},
                    {"by_kind", kinds}}
                   .dump(2)
            << "\n";
}

TEST_CASE("the index's cost on the durable enqueue") {
  int const messages = env_or("BENCH_ENQUEUES", 2000);
  corpus words;
  id_source ids;
  std::mt19937 draw(17);
  std::vector<case_message> letters;
  for (int i = 0; i < messages; ++i) {
    case_message m = test::phone_message(ids, "index-" + std::to_string(i));
    m.text = words.text(draw) + " " + words.text(draw) + " " + words.text(draw);  // about 130 words
    m.resident.name = "Jan " + surname(static_cast<std::size_t>(i), words.words);
    letters.push_back(std::move(m));
  }
  auto run = [&](bool with_index, bool durable) {
    test::queue_stack q([](queue::redis_options& o) { o.require_durability = false; }, durable);
    REQUIRE(q.h->wait_event("redis.ready"));
    std::vector<double> us, tokens_us;
    for (int i = 0; i < messages; ++i) {
      auto m = letters[static_cast<std::size_t>(i)];
      m.id = ids.ulid(m.received_at), m.case_id = ids.ulid(m.received_at), m.reference = ids.case_reference();
      auto const t0 = clock_type::now();
      auto const index = with_index ? queue::case_index{search::index_tokens(m), m.text.substr(0, 60)} : queue::case_index{};
      tokens_us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
      auto const r = test::await<std::pair<boost::system::error_code, queue::enqueue_result>>([&](auto done) {
        q.store->enqueue(m, "i:" + std::to_string(i), true, [done](boost::system::error_code ec, queue::enqueue_result res) { done(ec, res); },
                         {}, {}, std::nullopt, index);
      });
      REQUIRE(!r.first);
      us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    }
    if (with_index) std::cout << "index_tokens p50 us: " << percentile(tokens_us, 0.5) << ", tokens: " << search::index_tokens(letters[0]).size() << "\n";
    return us;
  };
  auto const plain = run(false, true), indexed = run(true, true);
  auto const plain_memory = run(false, false), indexed_memory = run(true, false);
  std::cout << json{{"messages", messages},
                    {"enqueue_p50_us", percentile(plain, 0.5)},
                    {"enqueue_with_index_p50_us", percentile(indexed, 0.5)},
                    {"enqueue_p99_us", percentile(plain, 0.99)},
                    {"enqueue_with_index_p99_us", percentile(indexed, 0.99)},
                    {"index_share_of_enqueue_p50", percentile(indexed, 0.5) / percentile(plain, 0.5) - 1},
                    {"without_fsync_enqueue_p50_us", percentile(plain_memory, 0.5)},
                    {"without_fsync_enqueue_with_index_p50_us", percentile(indexed_memory, 0.5)}}
                   .dump(2)
            << "\n";
}
