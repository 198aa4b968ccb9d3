// Staff search through a real balied and redis-server: references in every
// notation, addresses in every notation (in a body, never a URL), Dutch word
// forms, ranking, paging, inbox scoping checked through every result field,
// the audit line without the query, the index following a transferred case,
// two instances sharing one index, and the index surviving a restart of both
// Redis and balied. Hostile requests get a specific 400.
#include "gateway/tokens.hpp"
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr char const* permits_token = "vergunningen-demo-token";  // staff of vergunningen only

header_list auth(char const* token) { return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}; }

/// Cases come in as web-chat messages left for a reply: stored before the 202, with a name and an address.
json const base = {{"channels", {{"webchat", {{"leave_messages_per_address", 1000}}}}}};

struct resident_message {
  std::string name, text, channel, address;
};

std::string origin(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

/// Leaves a message through `port`; the case's reference.
std::string leave(std::uint16_t port, resident_message const& m) {
  json body = {{"text", m.text}, {"reply", {{"channel", m.channel}, {"address", m.address}}}};
  if (!m.name.empty()) body["name"] = m.name;
  auto const r = http_call(port, "POST", "/api/v1/chat/leave-message", {{"Origin", origin(port)}, {"Content-Type", "application/json"}}, body.dump());
  REQUIRE(r.status == 202);
  return json::parse(r.body)["reference"];
}

http_reply get_search(std::uint16_t port, std::string const& q_encoded, char const* token = staff_token) {
  return http_call(port, "GET", "/api/v1/search?q=" + q_encoded, auth(token));
}

http_reply post_search(std::uint16_t port, json const& body, char const* token = staff_token) {
  return http_call(port, "POST", "/api/v1/search", auth(token), body.dump());
}

/// The references of a search's results, in order, separated by spaces.
std::string references(http_reply const& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto const body = json::parse(r.body);
  std::string out;
  for (auto const& hit : body["results"]) out += (out.empty() ? "" : " ") + hit["case"]["reference"].get<std::string>();
  return out;
}

} // namespace

TEST_CASE("a case is found by its reference in every notation, by its resident's address in every notation, and by name") {
  test_stack s(base);
  auto const port = s.port();
  auto const phone = leave(port, {"Jan Jansen", "Kunt u mij terugbellen over mijn paspoort?", "sms", "06 00000001"});
  auto const mail = leave(port, {"Petra de Vries", "Vraag over de huurtoeslag.", "email", "P.deVries@Gemeente.test"});

  auto const code = phone.substr(3);
  std::string lower = phone;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (auto const& typed : {phone, lower, code, lower.substr(3), "BL%20" + code}) {
    INFO(typed);
    auto const r = get_search(port, typed);
    CHECK(references(r).starts_with(phone));
    CHECK(json::parse(r.body)["results"][0]["match"] == "reference");
  }
  CHECK(references(get_search(port, "BL-" + std::string(6, '9'))).empty());

  for (auto const* typed : {"+31600000001", "+31 6 00000001", "06-00000001", "0600000001", "0031600000001", "(06) 000 000 01"}) {
    INFO(typed);
    auto const r = post_search(port, {{"q", typed}});
    CHECK(references(r) == phone);
    CHECK(json::parse(r.body)["results"][0]["match"] == "address");
  }
  for (auto const* typed : {"p.devries@gemeente.test", "P.DEVRIES@GEMEENTE.TEST"}) CHECK(references(post_search(port, {{"q", typed}})) == mail);
  CHECK(references(post_search(port, {{"q", "+31600000009"}})).empty());

  // An address is personal data: never in a URL, so never in an access log.
  for (auto const* typed : {"0600000001", "p.devries%40gemeente.test"}) {
    auto const r = get_search(port, typed);
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["type"].get<std::string>().ends_with("address-in-url"));
  }

  CHECK(references(get_search(port, "jansen")) == phone);
  CHECK(references(get_search(port, "Petra%20de%20Vries")) == mail);
}

TEST_CASE("words: Dutch forms match, most words matched first, then newest; snippets show the match; pages follow") {
  test_stack s(base);
  auto const port = s.port();
  auto const old_both = leave(port, {"", "Mijn paspoort is kwijt, ik heb het verloren.", "sms", "06 00000002"});
  auto const passport = leave(port, {"", "Wanneer kan ik mijn paspoort ophalen?", "sms", "06 00000003"});
  auto const containers = leave(port, {"", "Beste gemeente,\n\nDe containers in de Dorpsstraat zijn al twee weken niet geleegd.", "sms", "06 00000004"});
  auto const request = leave(port, {"", "Ik wil een parkeervergunning aanvragen voor mijn nieuwe auto.", "sms", "06 00000005"});

  CHECK(references(get_search(port, "container")) == containers);
  CHECK(references(get_search(port, "Containers")) == containers);
  CHECK(references(get_search(port, "aanvraag")) == request);
  CHECK(references(get_search(port, "PARKEERVERGUNNING")) == request);
  CHECK(references(get_search(port, "fietsenstalling")).empty());

  // Two words before one, whatever is newer; then the newest first.
  auto const ranked = get_search(port, "paspoort%20kwijt");
  CHECK(references(ranked) == old_both + " " + passport);
  auto const results = json::parse(ranked.body)["results"];
  CHECK(results[0]["terms_matched"] == 2);
  CHECK(results[1]["terms_matched"] == 1);
  CHECK(results[0]["terms"] == 2);
  CHECK(references(get_search(port, "paspoort")) == passport + " " + old_both);

  auto const hit = json::parse(get_search(port, "geleegd").body)["results"][0];
  CHECK(hit["snippet"].get<std::string>().find("niet geleegd") != std::string::npos);
  CHECK(hit["snippet"].get<std::string>().find('\n') == std::string::npos);
  CHECK(hit["case"]["preview"] == "Beste gemeente,");

  // Paging by offset: 2, then the rest, then no cursor.
  auto const first = json::parse(http_call(port, "GET", "/api/v1/search?q=paspoort%20container&limit=2", auth(staff_token)).body);
  REQUIRE(first["results"].size() == 2);
  REQUIRE(first["next_cursor"] == "2");
  auto const second = json::parse(http_call(port, "GET", "/api/v1/search?q=paspoort%20container&limit=2&cursor=2", auth(staff_token)).body);
  CHECK(second["results"].size() == 1);
  CHECK(second["next_cursor"].is_null());
  auto const page_post = post_search(port, {{"q", "paspoort container"}, {"limit", 2}, {"cursor", "2"}});
  CHECK(references(page_post) == old_both);  // one word each: the oldest comes last
}

TEST_CASE("staff find only cases in their own inboxes; the index follows a transferred case; every search is audited without its text") {
  test_stack s(base);
  auto const port = s.port();
  auto const moved = leave(port, {"Karel Klaassen", "Ik wil een dakkapel bouwen, heb ik een omgevingsvergunning nodig?", "email", "k.klaassen@gemeente.test"});
  auto const stays = leave(port, {"Anna Aalders", "Mijn omgevingsvergunning is nog niet binnen.", "email", "a.aalders@gemeente.test"});
  auto const staff_cases = json::parse(http_call(port, "GET", "/api/v1/inboxes/algemeen/cases", auth(staff_token)).body)["cases"];
  std::string moved_id;
  for (auto const& c : staff_cases)
    if (c["reference"] == moved) moved_id = c["id"];
  REQUIRE(!moved_id.empty());
  REQUIRE(http_call(port, "POST", "/api/v1/cases/" + moved_id + "/transfer", auth(staff_token), json{{"inbox", "vergunningen"}}.dump()).status == 200);

  // The demo staff member (algemeen, telefoon) no longer finds it, by any route; nothing of it is in any result.
  std::vector<http_reply> replies = {get_search(port, "omgevingsvergunning"), get_search(port, "dakkapel"), get_search(port, moved),
                                     get_search(port, "Klaassen"), post_search(port, {{"q", "k.klaassen@gemeente.test"}})};
  for (auto const& r : replies) {
    INFO(r.body);
    REQUIRE(r.status == 200);
    for (auto const* secret : {moved.c_str(), moved_id.c_str(), "dakkapel", "Klaassen", "klaassen", "vergunningen"})
      CHECK(r.body.find(secret) == std::string::npos);
  }
  CHECK(references(replies[0]) == stays);
  // Vergunningen's staff find it there, by every route, and not the other.
  CHECK(references(get_search(port, "omgevingsvergunning", permits_token)) == moved);
  CHECK(references(get_search(port, moved, permits_token)) == moved);
  CHECK(references(post_search(port, {{"q", "K.Klaassen@gemeente.test"}}, permits_token)) == moved);
  // No index entry is left behind in the inbox it left.
  CHECK(s.redis.list({"KEYS", "balie:inbox:{algemeen}:search:*dakkap*"}).empty());

  auto const audit = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  std::string all;
  for (auto const& line : audit) all += line + "\n";
  CHECK(std::count(audit.begin(), audit.end(), "search") == 8);
  CHECK(std::find(audit.begin(), audit.end(), "address") != audit.end());
  for (auto const* never : {"klaassen", "Klaassen", "dakkapel", "omgevingsvergunning"}) CHECK(all.find(never) == std::string::npos);
}

TEST_CASE("a search asked wrongly gets a specific 400; other roles and no token are refused") {
  test_stack s(base);
  auto const port = s.port();
  auto status_of = [&](http_reply const& r) { return std::pair{r.status, r.status == 200 ? std::string{} : json::parse(r.body).value("type", "")}; };
  CHECK(get_search(port, "").status == 400);
  CHECK(http_call(port, "GET", "/api/v1/search", auth(staff_token)).status == 400);
  CHECK(get_search(port, "%20%20").status == 400);
  CHECK(get_search(port, std::string(201, 'a')).status == 400);
  CHECK(get_search(port, "%FF%FE").status == 400);
  CHECK(http_call(port, "GET", "/api/v1/search?q=paspoort&limit=0", auth(staff_token)).status == 400);
  CHECK(http_call(port, "GET", "/api/v1/search?q=paspoort&limit=51", auth(staff_token)).status == 400);
  CHECK(http_call(port, "GET", "/api/v1/search?q=paspoort&cursor=abc", auth(staff_token)).status == 400);
  CHECK(http_call(port, "GET", "/api/v1/search?q=paspoort&cursor=999", auth(staff_token)).status == 400);
  for (auto const* body : {"{not json", "[]", R"({"q": 5})", R"({"q": "x", "inbox": "vergunningen"})", R"({"q": "x", "limit": -1})",
                           R"({"q": "x", "limit": "2"})", R"({"limit": 2})"}) {
    INFO(body);
    auto const r = http_call(port, "POST", "/api/v1/search", auth(staff_token), body);
    CHECK(r.status == 400);
    CHECK(r.headers.at("content-type") == "application/problem+json");
  }
  CHECK(status_of(get_search(port, "paspoort", admin_token)).first == 403);
  CHECK(status_of(get_search(port, "paspoort", system_token)).first == 403);
  CHECK(http_call(port, "GET", "/api/v1/search?q=paspoort", {}).status == 401);
  // Only stop words: nothing to look for, an empty answer rather than every case.
  leave(port, {"", "de het een", "sms", "06 00000006"});
  CHECK(references(get_search(port, "de%20het%20een")).empty());
}

TEST_CASE("two instances share one index at once, and it survives a restart of Redis and balied") {
  temp_dir dir;
  redis_server redis{dir.path / "redis"};
  redis.start();
  auto instance = [&](std::string const& name) {
    auto const folder = dir.path / name;
    std::filesystem::create_directories(folder);
    return std::make_unique<balied_process>(balied_options{redis.socket(), folder, base});
  };
  auto a = instance("a");
  auto b = instance("b");
  auto const reference = leave(a->port(), {"Bram Bakker", "Er ligt grofvuil naast de ondergrondse container.", "sms", "06 00000007"});
  // Stored before the 202: the other instance finds it at once.
  CHECK(references(get_search(b->port(), "grofvuil")) == reference);
  CHECK(references(post_search(b->port(), {{"q", "06 00000007"}})) == reference);

  a.reset();
  b.reset();
  redis.stop();
  redis.start();
  auto c = instance("c");
  CHECK(references(get_search(c->port(), "grofvuil")) == reference);
  CHECK(references(get_search(c->port(), reference)) == reference);
}

TEST_CASE("cases stored before the index existed are indexed once, by the first balied that starts, and then found") {
  queue_stack q;
  id_source ids;
  // Stored as an earlier version did: no index tokens, no preview.
  auto old = phone_message(ids, "voor-de-index");
  old.text = "Onze lantaarnpalen branden al een week niet.";
  old.routing->inbox = "algemeen";
  REQUIRE(!enqueue(*q.store, old, "old:1").first);
  auto moved = phone_message(ids, "ook-oud");
  moved.text = "Vraag over de hondenbelasting.";
  moved.routing->inbox = "vergunningen";
  REQUIRE(!enqueue(*q.store, moved, "old:2").first);
  CHECK(q.server.list({"KEYS", "balie:inbox:*:search:*"}).empty());

  temp_dir dir;
  std::filesystem::create_directories(dir.path / "a");
  auto a = std::make_unique<balied_process>(balied_options{q.server.socket(), dir.path / "a", base});
  REQUIRE(a->wait_for_event("search.backfill.done"));
  CHECK(references(get_search(a->port(), "lantaarnpaal")) == old.reference);
  CHECK(references(post_search(a->port(), {{"q", "+31 6 00000001"}})) == old.reference);  // vergunningen is not the demo staff's
  CHECK(references(get_search(a->port(), "hondenbelasting", permits_token)) == moved.reference);
  auto const listed = json::parse(http_call(a->port(), "GET", "/api/v1/inboxes/algemeen/cases", auth(staff_token)).body)["cases"];
  CHECK(listed[0]["preview"] == "Onze lantaarnpalen branden al een week niet.");
  a.reset();

  // Done for good: the next start does not run the pass again.
  std::filesystem::create_directories(dir.path / "b");
  balied_process b(balied_options{q.server.socket(), dir.path / "b", base});
  REQUIRE(b.wait_for_event("search.backfill.done_before"));
  std::size_t checked = 0;
  CHECK_FALSE(b.logged_since("search.backfill.started", checked));
  CHECK(references(get_search(b.port(), "lantaarnpaal")) == old.reference);
}
