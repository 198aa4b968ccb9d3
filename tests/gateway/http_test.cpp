// balied over HTTP, as the phone platform and staff use it: a real balied
// process and a real redis-server per test case.
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/schema_check.hpp"

#include <doctest/doctest.h>


using namespace balie;
using namespace balie::test;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

std::string fixture(std::string const& name) { return read_fixture("phone/" + name); }

header_list auth(char const* token, std::string content_type = "application/json") {
  return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", std::move(content_type)}};
}

using stack = test_stack;

std::string simple_transcript(std::string const& call_id, std::string const& text = "Ik heb een vraag over mijn paspoort.") {
  return nlohmann::json{{"call_id", call_id},
                        {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 2000}, {"text", text}}}}}
      .dump();
}

} // namespace

TEST_CASE("health, readiness, metrics and the API document; standard headers on every response") {
  stack s;
  auto const health = http_call(s.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.headers.at("api-version") == "1.0.0");
  CHECK(health.headers.at("x-content-type-options") == "nosniff");
  CHECK(health.headers.count("content-security-policy") == 1);
  auto const ready = http_call(s.port(), "GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(nlohmann::json::parse(ready.body)["channels"]["phone"] == "enabled");
  auto const metrics = http_call(s.port(), "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("balie_enqueue_duration_seconds_bucket") != std::string::npos);
  CHECK(metrics.body.find("balie_redis_reconnects_total 0") != std::string::npos);
  auto const doc = http_call(s.port(), "GET", "/api/v1/openapi.json");
  CHECK(doc.status == 200);
  CHECK(nlohmann::json::parse(doc.body)["paths"].contains("/api/v1/transcripts"));
  auto const missing = http_call(s.port(), "GET", "/nope");
  CHECK(missing.status == 404);
  CHECK(missing.headers.at("content-type") == "application/problem+json");
  CHECK(missing.headers.at("api-version") == "1.0.0");
  auto const wrong_method = http_call(s.port(), "DELETE", "/api/v1/transcripts", auth(system_token));
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.headers.at("allow") == "POST");
}

TEST_CASE("a transcript becomes a case staff can read; a redelivery is acknowledged once") {
  stack s;
  auto const first = http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), fixture("call-balie.json"));
  REQUIRE(first.status == 202);
  auto const ack = nlohmann::json::parse(first.body);
  CHECK(ack["inbox"] == "telefoon");
  CHECK(ack["duplicate"] == false);
  CHECK(ack["reference"].get<std::string>().rfind("BL-", 0) == 0);

  auto const again = http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), fixture("call-balie.json"));
  REQUIRE(again.status == 200);
  auto const ack2 = nlohmann::json::parse(again.body);
  CHECK(ack2["duplicate"] == true);
  CHECK(ack2["id"] == ack["id"]);
  CHECK(ack2["reference"] == ack["reference"]);
  CHECK(s.inbox_length("telefoon") == 1);

  auto const inboxes = http_call(s.port(), "GET", "/api/v1/inboxes", auth(staff_token));
  REQUIRE(inboxes.status == 200);
  auto const list = nlohmann::json::parse(inboxes.body)["inboxes"];
  REQUIRE(list.size() == 2);  // the demo staff token sees algemeen and telefoon, not vergunningen
  CHECK(list[1]["id"] == "telefoon");
  CHECK(list[1]["open_cases"] == 1);
  CHECK(list[1]["unanswered_cases"] == 1);

  auto const cases = http_call(s.port(), "GET", "/api/v1/inboxes/telefoon/cases", auth(staff_token));
  REQUIRE(cases.status == 200);
  auto const c = nlohmann::json::parse(cases.body)["cases"][0];
  CHECK(c["id"] == ack["case_id"]);
  CHECK(c["state"] == "open");
  CHECK(c["channel"] == "phone");

  auto const one = http_call(s.port(), "GET", "/api/v1/cases/" + ack["case_id"].get<std::string>(), auth(staff_token));
  REQUIRE(one.status == 200);
  auto const body = nlohmann::json::parse(one.body);
  REQUIRE(body["messages"].size() == 1);
  auto const& msg = body["messages"][0];
  CHECK(msg["channel"] == "phone");
  CHECK(msg["routing"]["inbox"] == "telefoon");
  CHECK(msg["resident"]["needs"] == nlohmann::json::array({"text-relay", "callback"}));
  CHECK(msg["classification"]["confidential"] == true);
  CHECK(schema_errors({msg}) == "");

  // The read is in the audit stream: who and which case, never the contents.
  auto const audit = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  CHECK(std::find(audit.begin(), audit.end(), "demo-staff") != audit.end());
  CHECK(std::find(audit.begin(), audit.end(), ack["case_id"].get<std::string>()) != audit.end());

  auto const metrics = http_call(s.port(), "GET", "/metrics").body;
  CHECK(metrics.find("balie_messages_received_total{channel=\"phone\",provider=\"transcript-api\"} 1") != std::string::npos);
  CHECK(metrics.find("balie_messages_duplicated_total{channel=\"phone\",provider=\"transcript-api\"} 1") != std::string::npos);

  // Privacy: the caller's number and the spoken BSN never reach the log.
  for (auto const& line : s.balied->process().lines()) {
    CHECK(line.find("00000001") == std::string::npos);
    CHECK(line.find("123.456.782") == std::string::npos);
    CHECK(line.find("grofvuil") == std::string::npos);
  }
}

TEST_CASE("WebVTT and whisper.cpp transcripts with call data in headers") {
  stack s;
  auto h = auth(system_token, "text/vtt");
  h.emplace_back("Balie-Call-Id", "kcc-vtt-7");
  h.emplace_back("Balie-Caller-Number", "+31600000007");
  h.emplace_back("Balie-Callback-Requested", "true");
  h.emplace_back("Balie-Call-Started", "2026-11-28T08:00:00Z");
  auto const vtt = http_call(s.port(), "POST", "/api/v1/transcripts", h, fixture("call-webvtt.vtt"));
  REQUIRE(vtt.status == 202);
  auto w = auth(system_token, "application/vnd.whisper-cpp+json");
  w.emplace_back("Balie-Call-Id", "kcc-whisper-7");
  CHECK(http_call(s.port(), "POST", "/api/v1/transcripts", w, fixture("call-whisper.json")).status == 202);
  CHECK(s.inbox_length("telefoon") == 2);
  auto const id = nlohmann::json::parse(vtt.body)["case_id"].get<std::string>();
  auto const msg = nlohmann::json::parse(http_call(s.port(), "GET", "/api/v1/cases/" + id, auth(staff_token)).body)["messages"][0];
  CHECK(msg["occurred_at"] == "2026-11-28T08:00:00.000Z");
  CHECK(msg["resident"]["addresses"][0]["value"] == "+31600000007");
  CHECK(msg["resident"]["needs"] == nlohmann::json::array({"callback"}));
}

TEST_CASE("bad input gets a specific problem and nothing is enqueued") {
  stack s;
  struct bad {
    std::string name;
    header_list headers;
    std::string body;
    unsigned status;
    std::string type;
  };
  auto vtt = [](std::string id = "kcc-x") {
    auto h = auth(system_token, "text/vtt");
    h.emplace_back("Balie-Call-Id", id);
    return h;
  };
  auto with = [](std::string const& id, std::string const& key, nlohmann::json value) {
    auto t = nlohmann::json::parse(simple_transcript(id));
    t[key] = std::move(value);
    return t.dump();
  };
  auto segment_with = [](std::string const& id, std::string const& key, nlohmann::json value) {
    auto t = nlohmann::json::parse(simple_transcript(id));
    t["segments"][0][key] = std::move(value);
    return t.dump();
  };
  std::vector<bad> cases = {
      {"invalid JSON", auth(system_token), "{\"call_id\": ", 400, "invalid-json"},
      {"invalid UTF-8", auth(system_token),
       "{\"call_id\": \"kcc-utf8\", \"segments\": [{\"speaker\": \"resident\", \"start_ms\": 0, \"end_ms\": 1, \"text\": \"caf\xC3\x28\"}]}",
       400, "invalid-utf8"},
      {"wrong content type", auth(system_token, "text/plain"), simple_transcript("kcc-ct"), 415, "unsupported-media-type"},
      {"WebVTT without cues", vtt(), fixture("no-cues.vtt"), 422, "empty-transcript"},
      {"timestamps backwards", vtt(), fixture("backwards.vtt"), 422, "timestamps-backwards"},
      {"missing call id", auth(system_token), fixture("missing-call-id.json"), 422, "missing-call-id"},
      {"bad start header", [&] { auto h = vtt(); h.emplace_back("Balie-Call-Started", "gisteren"); return h; }(),
       fixture("call-webvtt.vtt"), 400, "invalid-header"},
      {"start time not RFC 3339", auth(system_token), with("kcc-ts", "started_at", "gisteren om drie uur"), 422, "invalid-timestamp"},
      {"segment before the call", auth(system_token), segment_with("kcc-neg", "start_ms", -5), 422, "invalid-timestamp"},
      {"language not ISO 639-3", auth(system_token), with("kcc-lang", "language", "nl"), 422, "invalid-language"},
      {"confidence above 1", auth(system_token), segment_with("kcc-conf", "confidence", 1.5), 422, "invalid-confidence"},
      {"segment over 64 KiB", auth(system_token), simple_transcript("kcc-seg", std::string(70 * 1024, 'a')), 413, "segment-too-large"},
      {"Latin-1 declared", auth(system_token, "application/json; charset=iso-8859-1"), simple_transcript("kcc-cs"), 415,
       "unsupported-charset"},
      {"no token", {{"Content-Type", "application/json"}}, simple_transcript("kcc-nt"), 401, "unauthorized"},
      {"wrong token", auth("not-a-token"), simple_transcript("kcc-wt"), 401, "unauthorized"},
      {"staff token", auth(staff_token), simple_transcript("kcc-st"), 403, "forbidden"},
  };
  for (auto const& c : cases) {
    auto r = http_call(s.port(), "POST", "/api/v1/transcripts", c.headers, c.body);
    CHECK_MESSAGE(r.status == c.status, c.name);
    CHECK_MESSAGE(r.headers["content-type"] == "application/problem+json", c.name);
    auto const p = nlohmann::json::parse(r.body, nullptr, false);
    CHECK_MESSAGE(p.value("type", "") == "urn:balie:problem:" + c.type, c.name);
    CHECK_MESSAGE(p.value("status", 0u) == c.status, c.name);
    CHECK_MESSAGE(!p.value("detail", "").empty(), c.name);
  }
  CHECK(http_call(s.port(), "POST", "/api/v1/transcripts", {{"Content-Type", "application/json"}}).headers["www-authenticate"] == "Bearer");
  CHECK(s.inbox_length("telefoon") == 0);
  CHECK(s.inbox_length("algemeen") == 0);
  CHECK(http_call(s.port(), "GET", "/healthz").status == 200);
  auto const metrics = http_call(s.port(), "GET", "/metrics").body;
  CHECK(metrics.find("balie_messages_rejected_total{channel=\"phone\",provider=\"transcript-api\",reason=\"invalid-json\"} 1") != std::string::npos);
}

TEST_CASE("oversized, truncated and malformed requests are answered at the transport") {
  stack s;
  // 50 MB declared: refused before a byte of the body is read.
  auto const big = raw_exchange(s.port(),
                                "POST /api/v1/transcripts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer system-demo-token\r\n"
                                "Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n",
                                false);
  CHECK(big.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(big.find("urn:balie:problem:body-too-large") != std::string::npos);
  // A body that stops halfway.
  auto const cut = raw_exchange(s.port(),
                                "POST /api/v1/transcripts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer system-demo-token\r\n"
                                "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"call_id\": \"kcc-cut\", \"segm");
  CHECK(cut.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(cut.find("urn:balie:problem:truncated-body") != std::string::npos);
  // A chunked body over the limit.
  std::string chunked =
      "POST /api/v1/transcripts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer system-demo-token\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string const chunk(1024 * 1024, 'a');
  for (int i = 0; i < 6; ++i) chunked += "100000\r\n" + chunk + "\r\n";
  auto const chunked_reply = raw_exchange(s.port(), chunked);
  CHECK(chunked_reply.rfind("HTTP/1.1 413", 0) == 0);
  // Headers over the limit and garbage.
  auto const huge_header = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(40000, 'x') + "\r\n\r\n");
  CHECK_MESSAGE(huge_header.rfind("HTTP/1.1 431", 0) == 0, huge_header.substr(0, 200));
  CHECK(raw_exchange(s.port(), "HELLO\r\n\r\n").rfind("HTTP/1.1 400", 0) == 0);
  CHECK(s.inbox_length("telefoon") == 0);
  CHECK(http_call(s.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("the head decides: each route's body limit and its token are checked before a byte of the body is read") {
  stack s;
  // Headers only, the body never sent: an answer proves nothing waited for it.
  auto head = [](std::string const& method_path, std::string const& extra, std::size_t length) {
    return method_path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra +
           "Content-Length: " + std::to_string(length) + "\r\n\r\n";
  };
  // A resident's chat request is small: 64 KiB, far below the global 5 MiB.
  auto const chat = raw_exchange(s.port(), head("POST /api/v1/chat/sessions", "Origin: http://127.0.0.1\r\n", 70 * 1024));
  CHECK_MESSAGE(chat.rfind("HTTP/1.1 413", 0) == 0, chat.substr(0, 200));
  CHECK(chat.find("65536 bytes") != std::string::npos);
  // A staff action without a token, or with a wrong one: 401, body unread.
  auto const anonymous = raw_exchange(s.port(), head("POST /api/v1/cases/01J0000000000000000000000/notes", "", 1000));
  CHECK_MESSAGE(anonymous.rfind("HTTP/1.1 401", 0) == 0, anonymous.substr(0, 200));
  CHECK(anonymous.find("WWW-Authenticate: Bearer") != std::string::npos);
  auto const wrong = raw_exchange(s.port(), head("POST /api/v1/transcripts", "Authorization: Bearer wrong\r\n", 4 << 20));
  CHECK_MESSAGE(wrong.rfind("HTTP/1.1 401", 0) == 0, wrong.substr(0, 200));
  // A staff token on the system route: 403 before the body.
  auto const forbidden = raw_exchange(s.port(), head("POST /api/v1/transcripts", "Authorization: Bearer staff-demo-token\r\n", 1000));
  CHECK_MESSAGE(forbidden.rfind("HTTP/1.1 403", 0) == 0, forbidden.substr(0, 200));
  // Expect: 100-continue from a stranger gets the refusal, never "100 Continue".
  auto const expecting =
      raw_exchange(s.port(), head("POST /api/v1/transcripts", "Expect: 100-continue\r\n", 4 << 20), false);
  CHECK(expecting.rfind("HTTP/1.1 401", 0) == 0);
  CHECK(expecting.find("100 Continue") == std::string::npos);
  // A staff request is larger than a resident's, still bounded: 1 MiB.
  auto const staff_big = raw_exchange(s.port(), head("POST /api/v1/cases/01J0000000000000000000000/notes",
                                                     "Authorization: Bearer staff-demo-token\r\n", 2 << 20));
  CHECK(staff_big.rfind("HTTP/1.1 413", 0) == 0);
  // With its token, a transcript may still use the global limit.
  auto const big = simple_transcript("kcc-large") + std::string(3 << 20, ' ');
  CHECK(http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), big).status == 202);
  CHECK(s.inbox_length("telefoon") == 1);
  CHECK(http_call(s.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("a transcript over the phone channel's own limit is refused although HTTP would take it") {
  stack s(nlohmann::json{{"channels", {{"phone", {{"max_transcript_bytes", 2048}}}}}});
  auto const big = simple_transcript("kcc-big", std::string(4096, 'a'));
  auto r = http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), big);
  CHECK(r.status == 413);
  CHECK(nlohmann::json::parse(r.body)["type"] == "urn:balie:problem:body-too-large");
  CHECK(http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), simple_transcript("kcc-small")).status == 202);
  CHECK(s.inbox_length("telefoon") == 1);
}

TEST_CASE("keep-alive serves many requests on one connection") {
  stack s;
  http_connection c(s.port());
  for (int i = 0; i < 5; ++i) {
    auto const r = c.call("POST", "/api/v1/transcripts", auth(system_token), simple_transcript("kcc-ka-" + std::to_string(i)));
    CHECK(r.status == 202);
  }
  CHECK(c.call("GET", "/healthz").status == 200);
  CHECK(s.inbox_length("telefoon") == 5);
}

TEST_CASE("staff see only their inboxes; paging with a cursor") {
  stack s;
  for (int i = 0; i < 3; ++i)
    REQUIRE(http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), simple_transcript("kcc-p-" + std::to_string(i))).status == 202);
  auto const page1 = nlohmann::json::parse(http_call(s.port(), "GET", "/api/v1/inboxes/telefoon/cases?limit=2", auth(staff_token)).body);
  REQUIRE(page1["cases"].size() == 2);
  REQUIRE(page1["next_cursor"].is_string());
  auto const page2 = nlohmann::json::parse(
      http_call(s.port(), "GET", "/api/v1/inboxes/telefoon/cases?limit=2&cursor=" + page1["next_cursor"].get<std::string>(), auth(staff_token)).body);
  REQUIRE(page2["cases"].size() == 1);
  CHECK(page2["next_cursor"].is_null());
  CHECK(page2["cases"][0]["id"] != page1["cases"][0]["id"]);
  CHECK(page2["cases"][0]["id"] != page1["cases"][1]["id"]);

  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes/telefoon/cases?limit=0", auth(staff_token)).status == 400);
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes/telefoon/cases?cursor=abc", auth(staff_token)).status == 400);
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes/vergunningen/cases", auth(staff_token)).status == 403);
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes/bestaat-niet/cases", auth(staff_token)).status == 404);
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes", auth(system_token)).status == 403);
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes", auth(admin_token)).status == 403);
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes").status == 401);

  // A case in an inbox the staff member cannot see: 403, and nothing about the case in the answer.
  std::string const other = "01JDX7Y8Z9ABCDEFGHJKMNPQRS";
  s.redis.command({"HSET", queue::keys::case_hash(other), "inbox", "vergunningen", "reference", "BL-SECRET", "state", "open"});
  auto const denied = http_call(s.port(), "GET", "/api/v1/cases/" + other, auth(staff_token));
  CHECK(denied.status == 403);
  CHECK(denied.body.find("BL-SECRET") == std::string::npos);
  CHECK(denied.body.find("vergunningen") == std::string::npos);
  CHECK(http_call(s.port(), "GET", "/api/v1/cases/01JDX7Y8Z9ABCDEFGHJKMNPQRT", auth(staff_token)).status == 404);
  CHECK(http_call(s.port(), "GET", "/api/v1/cases/not-a-case-id", auth(staff_token)).status == 404);
}

TEST_CASE("while Redis is unreachable intake answers 503 with Retry-After, never 2xx, and recovers") {
  stack s;
  s.redis.kill9();
  REQUIRE(s.balied->wait_for_event("redis.disconnected"));
  auto const r = http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), simple_transcript("kcc-down"));
  CHECK(r.status == 503);
  CHECK(r.headers.at("retry-after") == "5");
  auto const ready = http_call(s.port(), "GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK(nlohmann::json::parse(ready.body)["redis"] == nlohmann::json{{"ready", false}});  // no error text for anyone to read
  CHECK(http_call(s.port(), "GET", "/healthz").status == 200);
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes", auth(staff_token)).status == 503);

  s.redis.start();
  REQUIRE(s.balied->wait_for_event("redis.ready", 2));  // the first was at start-up
  CHECK(http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), simple_transcript("kcc-down")).status == 202);
  CHECK(http_call(s.port(), "GET", "/readyz").status == 200);
  CHECK(http_call(s.port(), "GET", "/metrics").body.find("balie_redis_reconnects_total 1") != std::string::npos);
}

TEST_CASE("a switched-off phone channel still takes transcripts: they record calls that already happened") {
  stack s(nlohmann::json{{"channels", {{"phone", {{"enabled", false}}}}}});
  CHECK(nlohmann::json::parse(http_call(s.port(), "GET", "/readyz").body)["channels"]["phone"] == "disabled");
  auto const r = http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), simple_transcript("kcc-off"));
  CHECK(r.status == 202);
  CHECK(s.redis.integer({"XLEN", queue::keys::inbox_stream("telefoon")}) == 1);
}

TEST_CASE("guessing tokens: after 30 wrong ones in a minute an address gets 429 with Retry-After, for any token") {
  stack s;
  for (int i = 0; i < 30; ++i) REQUIRE(http_call(s.port(), "GET", "/api/v1/inboxes", auth(("guess-" + std::to_string(i)).c_str())).status == 401);
  auto const blocked = http_call(s.port(), "GET", "/api/v1/inboxes", auth("guess-31"));
  CHECK(blocked.status == 429);
  CHECK(std::stoi(blocked.headers.at("retry-after")) >= 1);
  // A right token from the same address waits too: otherwise 429 and 200 would tell a guess apart.
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes", auth(staff_token)).status == 429);
  // Chat session tokens count the same way.
  CHECK(http_call(s.port(), "GET", "/api/v1/chat/history", {{"Authorization", "Bearer nope"}}).status == 429);
  CHECK(http_call(s.port(), "GET", "/healthz").status == 200);  // what needs no token is not affected
  // Without a trusted proxy, a forwarding header names no one: a guesser cannot pose as someone new.
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes", {{"Authorization", "Bearer x"}, {"X-Forwarded-For", "203.0.113.77"}}).status == 429);
}

TEST_CASE("one address gets a share of the connections; beyond it new ones are closed, others are not affected") {
  stack s(nlohmann::json{{"http", {{"max_connections_per_address", 3}}}});
  std::vector<std::unique_ptr<http_connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<http_connection>(s.port()));
    REQUIRE(held.back()->call("GET", "/healthz").status == 200);
  }
  CHECK(http_call(s.port(), "GET", "/healthz").status == 0);  // closed at accept
  CHECK(held[0]->call("GET", "/healthz").status == 200);       // the ones held still work
  held.pop_back();
  bool admitted = false;  // the place is free once balied has seen the connection end
  for (int attempt = 0; attempt < 2000 && !admitted; ++attempt) admitted = http_call(s.port(), "GET", "/healthz").status == 200;
  CHECK(admitted);
}

TEST_CASE("a trusted proxy has no connection share: it carries many residents") {
  stack s(nlohmann::json{{"http", {{"max_connections_per_address", 2}, {"trusted_proxies", {"127.0.0.1"}}}}});
  std::vector<std::unique_ptr<http_connection>> held;
  for (int i = 0; i < 6; ++i) {
    held.push_back(std::make_unique<http_connection>(s.port()));
    CHECK(held.back()->call("GET", "/healthz").status == 200);
  }
}

TEST_CASE("behind a trusted proxy each resident is counted by the forwarded address, and only there") {
  stack s(nlohmann::json{{"http", {{"trusted_proxies", {"127.0.0.1"}}}}});
  auto guess = [&](char const* from) {
    return http_call(s.port(), "GET", "/api/v1/inboxes", {{"Authorization", "Bearer guess"}, {"X-Forwarded-For", from}}).status;
  };
  for (int i = 0; i < 30; ++i) REQUIRE(guess("203.0.113.1") == 401);
  CHECK(guess("203.0.113.1") == 429);
  CHECK(guess("203.0.113.2") == 401);  // another resident behind the same proxy is not locked out
  // Forwarded (RFC 7239) names the same resident; an address the resident wrote itself further left does not help.
  CHECK(http_call(s.port(), "GET", "/api/v1/inboxes", {{"Authorization", "Bearer guess"}, {"Forwarded", "for=203.0.113.1"}}).status == 429);
  CHECK(guess("198.51.100.9, 203.0.113.1") == 429);
}

