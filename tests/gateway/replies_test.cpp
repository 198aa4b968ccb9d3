// Saved replies through a real balied and redis-server: admins save, list and
// delete them (audited), unknown variables and bad fields are refused with
// the field named, hints come back and never block; staff get the replies of
// a case's inbox and the shared ones, filled in from that case, and nothing
// of another inbox; the shipped examples are added once and an admin's
// deletion stands after a restart.
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr char const* permits_token = "vergunningen-demo-token";

header_list auth(char const* token) { return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}; }

http_reply put(std::uint16_t port, std::string const& id, json const& body, char const* token = admin_token) {
  return http_call(port, "PUT", "/api/v1/replies/" + id, auth(token), body.dump());
}

/// The names of the fields a 400 names.
std::string invalid_names(http_reply const& r) {
  std::string out;
  auto const body = json::parse(r.body);
  for (auto const& p : body.value("invalid-params", json::array())) out += p.value("name", "") + " " + p.value("reason", "") + "\n";
  return out;
}

std::string leave(std::uint16_t port, std::string const& name) {
  json body = {{"text", "Mijn container is niet geleegd."}, {"reply", {{"channel", "sms"}, {"address", "06 00000008"}}}};
  if (!name.empty()) body["name"] = name;
  auto const r = http_call(port, "POST", "/api/v1/chat/leave-message",
                           {{"Origin", "http://127.0.0.1:" + std::to_string(port)}, {"Content-Type", "application/json"}}, body.dump());
  REQUIRE(r.status == 202);
  auto const list = json::parse(http_call(port, "GET", "/api/v1/inboxes/algemeen/cases", auth(staff_token)).body);
  for (auto const& c : list["cases"])
    if (c["reference"] == json::parse(r.body)["reference"]) return c["id"];
  FAIL("the case is not in algemeen");
  return {};
}

} // namespace

TEST_CASE("admins save, list and delete saved replies; wrong ones are refused by field; hints come back and never block") {
  test_stack s;
  auto const port = s.port();
  auto const body = json{{"title", "Container niet geleegd"}, {"text", {{"nl", "Beste {naam}, uw container wordt morgen geleegd."}}}};
  auto r = put(port, "container", body);
  REQUIRE(r.status == 201);
  auto const saved = json::parse(r.body);
  CHECK(saved["inbox"].is_null());
  CHECK(saved["updated_by"] == "demo-admin");
  REQUIRE(saved["hints"].size() == 1);
  CHECK(saved["hints"][0]["kind"] == "passive");
  CHECK(saved["hints"][0]["word"] == "wordt geleegd");
  CHECK(put(port, "container", body).status == 200);

  struct wrong {
    json body;
    char const* field;
    char const* why;
  };
  for (auto const& w : {wrong{{{"title", "Adres"}, {"text", {{"nl", "Wij komen naar {adres}."}}}}, "/text/nl", "unknown variable {adres}"},
                        wrong{{{"title", "Open"}, {"text", {{"nl", "Beste {naam, hallo."}}}}, "/text/nl", "never closed"},
                        wrong{{{"title", "Dicht"}, {"text", {{"nl", "Beste naam}, hallo."}}}}, "/text/nl", "closes nothing"},
                        wrong{{{"title", "Engels"}, {"text", {{"nl", "Hallo."}, {"en", "Dear {name}."}}}}, "/text/en", "unknown variable {name}"},
                        wrong{{{"title", "Postvak"}, {"inbox", "onbekend"}, {"text", {{"nl", "Hallo."}}}}, "/inbox", "configured inbox"},
                        wrong{{{"title", ""}, {"text", {{"nl", "Hallo."}}}}, "/title", "1 to 100"},
                        wrong{{{"title", std::string(101, 'a')}, {"text", {{"nl", "Hallo."}}}}, "/title", "1 to 100"},
                        wrong{{{"title", "Geen tekst"}}, "/text", "object"},
                        wrong{{{"title", "Geen Nederlands"}, {"text", {{"en", "Hello."}}}}, "/text/nl", "required"},
                        wrong{{{"title", "Frans"}, {"text", {{"nl", "Hallo."}, {"fr", "Bonjour."}}}}, "/text/fr", "only nl and en"},
                        wrong{{{"title", "Extra"}, {"text", {{"nl", "Hallo."}}}, {"owner", "x"}}, "/owner", "unknown field"}}) {
    INFO(w.body.dump());
    auto const refused = put(port, "fout", w.body);
    CHECK(refused.status == 400);
    auto const names = invalid_names(refused);
    CHECK(names.find(std::string(w.field) + " ") != std::string::npos);
    CHECK(names.find(w.why) != std::string::npos);
  }
  CHECK(put(port, "Afval!", body).status == 400);
  CHECK(http_call(port, "PUT", "/api/v1/replies/fout", auth(admin_token), "{not json").status == 400);
  CHECK(put(port, "container", body, staff_token).status == 403);
  CHECK(http_call(port, "PUT", "/api/v1/replies/container", {}, body.dump()).status == 401);
  CHECK(http_call(port, "GET", "/api/v1/replies", auth(staff_token)).status == 403);

  auto const list = json::parse(http_call(port, "GET", "/api/v1/replies", auth(admin_token)).body)["replies"];
  REQUIRE(list.size() == 1);  // nothing refused was stored
  CHECK(list[0]["id"] == "container");
  CHECK(list[0]["hints"].size() == 1);

  CHECK(http_call(port, "DELETE", "/api/v1/replies/container", auth(admin_token)).status == 204);
  CHECK(http_call(port, "DELETE", "/api/v1/replies/container", auth(admin_token)).status == 404);
  auto const audit = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  CHECK(std::count(audit.begin(), audit.end(), "saved_reply.put") == 2);
  CHECK(std::count(audit.begin(), audit.end(), "saved_reply.delete") == 1);
}

TEST_CASE("staff get the replies of the case's inbox and the shared ones, filled in from that case") {
  test_stack s;
  auto const port = s.port();
  REQUIRE(put(port, "algemeen-ontvangen", {{"title", "Ontvangen"}, {"inbox", "algemeen"},
                                           {"text", {{"nl", "Beste {naam}, uw nummer is {referentie}. U hoort uiterlijk {antwoord_voor} van ons. Bel {telefoonnummer}."},
                                                     {"en", "Dear {naam}, your number is {referentie}. Call {telefoonnummer}."}}}}).status == 201);
  REQUIRE(put(port, "gedeeld", {{"title", "Gedeeld"}, {"text", {{"nl", "Beste {naam}, dank u."}}}}).status == 201);
  REQUIRE(put(port, "vergunningen-alleen", {{"title", "Vergunning"}, {"inbox", "vergunningen"}, {"text", {{"nl", "Uw vergunning."}}}}).status == 201);

  auto const id = leave(port, "Jan Jansen");
  auto const view = json::parse(http_call(port, "GET", "/api/v1/cases/" + id, auth(staff_token)).body);
  auto const r = http_call(port, "GET", "/api/v1/cases/" + id + "/saved-replies", auth(staff_token));
  REQUIRE(r.status == 200);
  auto const replies = json::parse(r.body)["replies"];
  REQUIRE(replies.size() == 2);
  CHECK(replies[0]["id"] == "algemeen-ontvangen");  // the inbox's own first
  CHECK(replies[0]["shared"] == false);
  CHECK(replies[1]["id"] == "gedeeld");
  std::string const reference = view["reference"];
  std::string const nl = replies[0]["text"]["nl"];
  CHECK(nl.starts_with("Beste Jan Jansen, uw nummer is " + reference + ". U hoort uiterlijk "));
  CHECK(nl.ends_with(" van ons. Bel 14 en uw netnummer."));
  CHECK(nl.find('{') == std::string::npos);
  CHECK(replies[0]["text"]["en"] == "Dear Jan Jansen, your number is " + reference + ". Call 14 and your area code.");
  CHECK(r.body.find("Uw vergunning") == std::string::npos);

  // No name given: a polite form, not an empty one. Another inbox's staff get nothing of this case.
  auto const nameless = leave(port, "");
  auto const polite = json::parse(http_call(port, "GET", "/api/v1/cases/" + nameless + "/saved-replies", auth(staff_token)).body);
  CHECK(polite["replies"][1]["text"]["nl"] == "Beste meneer of mevrouw, dank u.");
  CHECK(http_call(port, "GET", "/api/v1/cases/" + id + "/saved-replies", auth(permits_token)).status == 403);
  CHECK(http_call(port, "GET", "/api/v1/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV/saved-replies", auth(staff_token)).status == 404);
}

TEST_CASE("the shipped saved replies are added on the first start only: an admin's deletion stands after a restart") {
  temp_dir dir;
  redis_server redis{dir.path / "redis"};
  redis.start();
  json const examples = {{"saved_replies", {{"examples_file", std::string(BALIE_SOURCE_DIR) + "/config/saved-replies-nl.json"}}}};
  std::filesystem::create_directories(dir.path / "a");
  std::filesystem::create_directories(dir.path / "b");
  auto first = std::make_unique<balied_process>(balied_options{redis.socket(), dir.path / "a", examples});
  REQUIRE(first->wait_for_event("saved_replies.seeded"));
  auto const listed = json::parse(http_call(first->port(), "GET", "/api/v1/replies", auth(admin_token)).body)["replies"];
  CHECK(listed.size() >= 8);
  for (auto const& r : listed) CHECK_MESSAGE(r["hints"].empty(), r["id"]);  // shipped at B1
  REQUIRE(http_call(first->port(), "DELETE", "/api/v1/replies/grofvuil-ophalen", auth(admin_token)).status == 204);
  first.reset();

  auto second = std::make_unique<balied_process>(balied_options{redis.socket(), dir.path / "b", examples});
  auto const again = json::parse(http_call(second->port(), "GET", "/api/v1/replies", auth(admin_token)).body)["replies"];
  CHECK(again.size() == listed.size() - 1);
  for (auto const& r : again) CHECK(r["id"] != "grofvuil-ophalen");
}
