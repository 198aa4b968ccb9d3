// Records management through a real balied and redis-server: a case's term
// starts when staff close it, records staff read it and choose another class
// or a legal hold (always with a reason, audited), every other token is
// refused, and the destruction list comes as JSON pages and as CSV for the
// archivist. The destruction itself is proved in retention_test.cpp with an
// injected clock; here a case is destroyed by the same script at a moment
// past its term, the way the job does it.
#include "queue/case_retention.hpp"
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>

using namespace balie;
using namespace balie::test;
using nlohmann::json;

namespace {

std::vector<std::pair<std::string, std::string>> auth(char const* token) {
  return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}};
}

std::string phone_case(std::uint16_t port) {
  json const body = {{"call_id", "call-records-1"}, {"caller", "+31600000004"},
                     {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 2000}, {"text", "Mijn vuilnisbak is niet geleegd."}}}}};
  auto const r = http_call(port, "POST", "/api/v1/transcripts", auth(system_token), body.dump());
  REQUIRE(r.status == 202);
  return json::parse(r.body)["case_id"];
}

/// "2026-12-04T21:40:00.123Z" plus `years`, by hand: the year changes, 29 February becomes the 28th.
std::string years_later(std::string t, int years) {
  t.replace(0, 4, std::to_string(std::stoi(t.substr(0, 4)) + years));
  if (t.substr(5, 5) == "02-29") t.replace(8, 2, "28");
  return t;
}

} // namespace

TEST_CASE("records: a case's term starts at its close; records staff choose a class or a legal hold with a reason") {
  test_stack s;
  auto const id = phone_case(s.port());
  auto const path = "/api/v1/cases/" + id + "/retention";

  auto r = http_call(s.port(), "GET", path, auth(records_token));
  REQUIRE(r.status == 200);
  auto body = json::parse(r.body);
  CHECK(body["state"] == "open");
  CHECK(body["class"] == "informatieverzoek");  // the default: a plain request for information
  CHECK(body["term"] == "P1Y");
  CHECK(body["erasable_on_request"] == true);
  CHECK(body["closed_at"].is_null());
  CHECK(body["destroy_after"].is_null());
  CHECK(body["legal_hold"].is_null());
  CHECK(r.body.find("vuilnisbak") == std::string::npos);  // records staff never see what a case says

  REQUIRE(http_call(s.port(), "POST", "/api/v1/cases/" + id + "/close", auth(staff_token)).status == 200);
  body = json::parse(http_call(s.port(), "GET", path, auth(records_token)).body);
  REQUIRE(body["closed_at"].is_string());
  CHECK(body["destroy_after"] == years_later(body["closed_at"].get<std::string>(), 1));

  r = http_call(s.port(), "PUT", path, auth(records_token), R"({"class": "klacht", "reason": "Het gaat over de behandeling door de gemeente"})");
  REQUIRE(r.status == 200);
  body = json::parse(r.body);
  CHECK(body["class"] == "klacht");
  CHECK(body["term"] == "P5Y");
  CHECK(body["erasable_on_request"] == false);
  CHECK(body["chosen_by"] == "demo-records");
  CHECK(body["reason"] == "Het gaat over de behandeling door de gemeente");
  CHECK(body["destroy_after"] == years_later(body["closed_at"].get<std::string>(), 5));

  r = http_call(s.port(), "PUT", path, auth(records_token), R"({"legal_hold": true, "reason": "Bezwaarprocedure"})");
  REQUIRE(r.status == 200);
  body = json::parse(r.body);
  CHECK(body["legal_hold"]["reason"] == "Bezwaarprocedure");
  CHECK(body["legal_hold"]["by"] == "demo-records");
  CHECK(s.redis.command({"ZSCORE", std::string(queue::keys::retention), id}) == "");  // held: not waiting for its term

  auto const audit = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  CHECK(std::find(audit.begin(), audit.end(), "retention.class") != audit.end());
  CHECK(std::find(audit.begin(), audit.end(), "retention.hold") != audit.end());

  r = http_call(s.port(), "PUT", path, auth(records_token), R"({"legal_hold": false, "reason": "Bezwaar afgehandeld"})");
  CHECK(json::parse(r.body)["legal_hold"].is_null());
  CHECK(s.redis.command({"ZSCORE", std::string(queue::keys::retention), id}) != "");
}

TEST_CASE("records: bad requests and other roles get a clear refusal and change nothing") {
  test_stack s;
  auto const id = phone_case(s.port());
  auto const path = "/api/v1/cases/" + id + "/retention";
  struct refusal {
    std::string body;
    unsigned status;
    std::string field;
  };
  for (auto const& t : std::vector<refusal>{{R"({"class": "klacht"})", 400, "reason"},
                                            {R"({"class": "klacht", "reason": ""})", 400, "reason"},
                                            {R"({"class": "bestaat-niet", "reason": "x"})", 400, "class"},
                                            {R"({"reason": "alleen een reden"})", 400, "class"},
                                            {R"({"legal_hold": "ja", "reason": "x"})", 400, "legal_hold"},
                                            {R"({"class": "klacht", "reason": "x", "term": "P99Y"})", 400, "term"},
                                            {"[1]", 400, ""},
                                            {"not json", 400, ""}}) {
    CAPTURE(t.body);
    auto const r = http_call(s.port(), "PUT", path, auth(records_token), t.body);
    CHECK(r.status == t.status);
    CHECK(r.headers.at("content-type") == "application/problem+json");
    if (!t.field.empty()) CHECK(r.body.find("\"" + t.field + "\"") != std::string::npos);
  }
  CHECK(s.redis.command({"HGET", queue::keys::case_hash(id), "retention_class"}) == "");
  CHECK(http_call(s.port(), "GET", "/api/v1/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV/retention", auth(records_token)).status == 404);
  CHECK(http_call(s.port(), "GET", "/api/v1/cases/..%2f/retention", auth(records_token)).status == 404);
  for (auto const* other : {staff_token, admin_token, privacy_token, system_token}) {
    CAPTURE(other);
    CHECK(http_call(s.port(), "GET", path, auth(other)).status == 403);
    CHECK(http_call(s.port(), "PUT", path, auth(other), R"({"legal_hold": true, "reason": "x"})").status == 403);
    CHECK(http_call(s.port(), "GET", "/api/v1/destruction-list", auth(other)).status == 403);
  }
  CHECK(http_call(s.port(), "GET", path).status == 401);
  CHECK(s.redis.command({"HGET", queue::keys::case_hash(id), "legal_hold"}) == "");
  // The records token opens nothing else.
  CHECK(http_call(s.port(), "GET", "/api/v1/cases/" + id, auth(records_token)).status == 403);
  CHECK(http_call(s.port(), "GET", "/api/v1/channels", auth(records_token)).status == 403);
}

TEST_CASE("records: the destruction list names what was destroyed, as JSON and as CSV for the archivist") {
  test_stack s;
  auto const id = phone_case(s.port());
  REQUIRE(http_call(s.port(), "POST", "/api/v1/cases/" + id + "/close", auth(staff_token)).status == 200);
  auto const reference = json::parse(http_call(s.port(), "GET", "/api/v1/cases/" + id + "/retention", auth(records_token)).body)["reference"];
  auto const destroy_after = std::stoll(s.redis.command({"HGET", queue::keys::case_hash(id), "destroy_at"}));

  auto r = http_call(s.port(), "GET", "/api/v1/destruction-list", auth(records_token));
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body)["entries"].empty());

  {  // The term ended: the job's script destroys it (the job itself is proved with an injected clock in retention_test.cpp).
    harness h(options_for(s.redis));
    REQUIRE(h.wait_event("redis.ready"));
    queue::case_retention retention(h.redis);
    auto const [ec, result] = await<std::pair<boost::system::error_code, queue::destroy_result>>(
        [&](auto done) { retention.destroy(id, destroy_after, "", done); });
    REQUIRE(!ec);
    REQUIRE(result.status == queue::destroy_status::destroyed);
  }
  CHECK(http_call(s.port(), "GET", "/api/v1/cases/" + id, auth(staff_token)).status == 404);

  r = http_call(s.port(), "GET", "/api/v1/destruction-list", auth(records_token));
  REQUIRE(r.status == 200);
  auto const list = json::parse(r.body);
  REQUIRE(list["entries"].size() == 1);
  auto const& e = list["entries"][0];
  CHECK(e["reference"] == reference);
  CHECK(e["inbox"] == "telefoon");
  CHECK(e["class"] == "informatieverzoek");
  CHECK(e["label"] == "Verzoek om informatie");
  CHECK(e["approved_by"] == "balie");
  CHECK(e["reason"] == "retention term");
  CHECK(list["next_cursor"].is_null());
  CHECK(r.body.find(id) == std::string::npos);

  auto headers = auth(records_token);
  headers.emplace_back("Accept", "text/csv");
  r = http_call(s.port(), "GET", "/api/v1/destruction-list", headers);
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "text/csv; charset=utf-8");
  auto const expected_start = "reference,inbox,class,label,closed_at,destroyed_at,approved_by,reason\r\n" + reference.get<std::string>() +
                              ",telefoon,informatieverzoek,Verzoek om informatie," + e["closed_at"].get<std::string>() + "," +
                              e["destroyed_at"].get<std::string>() + ",balie,retention term\r\n";
  CHECK(r.body == expected_start);
  auto const audit = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  CHECK(std::find(audit.begin(), audit.end(), "destruction-list.export") != audit.end());
  CHECK(http_call(s.port(), "GET", "/api/v1/destruction-list?cursor=abc", auth(records_token)).status == 400);
}

TEST_CASE("residents' export and erasure: bad requests and other roles get a clear refusal and nothing is destroyed") {
  test_stack s;
  auto const id = phone_case(s.port());
  REQUIRE(http_call(s.port(), "POST", "/api/v1/cases/" + id + "/close", auth(staff_token)).status == 200);
  struct refusal {
    std::string path, body, field;
  };
  for (auto const& t : std::vector<refusal>{{"/api/v1/residents/erase", R"({"address": "+31 6 00000004"})", "reason"},
                                            {"/api/v1/residents/erase", R"({"address": "+31 6 00000004", "reason": ""})", "reason"},
                                            {"/api/v1/residents/erase", R"({"address": "+31 6 00000004", "reason": 5})", "reason"},
                                            {"/api/v1/residents/erase", R"({"address": "geen adres", "reason": "x"})", "address"},
                                            {"/api/v1/residents/export", R"({"address": "+31 6 00000004", "reason": "x"})", "reason"},
                                            {"/api/v1/residents/export", R"({"address": ["+31 6 00000004"]})", "address"},
                                            {"/api/v1/residents/export", "not json", ""}}) {
    CAPTURE(t.path);
    CAPTURE(t.body);
    auto const r = http_call(s.port(), "POST", t.path, auth(privacy_token), t.body);
    CHECK(r.status == 400);
    CHECK(r.headers.at("content-type") == "application/problem+json");
    if (!t.field.empty()) CHECK(r.body.find("\"" + t.field + "\"") != std::string::npos);
  }
  for (auto const* other : {staff_token, admin_token, records_token, system_token}) {
    CAPTURE(other);
    CHECK(http_call(s.port(), "POST", "/api/v1/residents/erase", auth(other), R"({"address": "+31 6 00000004", "reason": "x"})").status == 403);
    CHECK(http_call(s.port(), "POST", "/api/v1/residents/export", auth(other), R"({"address": "+31 6 00000004"})").status == 403);
  }
  CHECK(http_call(s.port(), "GET", "/api/v1/residents/export", auth(privacy_token)).status == 405);  // never an address in a URL
  CHECK(s.redis.command({"EXISTS", queue::keys::case_hash(id)}) == "1");
  CHECK(s.redis.integer({"XLEN", std::string(queue::keys::destroyed)}) == 0);
}
