// The staff inbox API against a real balied and redis-server: every
// endpoint, the authorization matrix, reply checks, the outbound path with
// its delivery status, live updates, and the web files.
#include "gateway/tokens.hpp"
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/queue_stack.hpp"
#include "tests/support/schema_check.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <fstream>

using namespace balie;
using namespace balie::test;
using header_list = std::vector<std::pair<std::string, std::string>>;
using nlohmann::json;

namespace {

constexpr char const* colleague_token = "staff-colleague-token";  // a second staff member on the same inboxes
constexpr char const* permits_token = "vergunningen-demo-token";  // staff of vergunningen only
constexpr char const* third_token = "staff-third-token";          // a third staff member, of telefoon only

header_list auth(char const* token) { return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}; }

/// balied with the demo tokens plus a colleague of the demo staff member.
struct staff_stack {
  temp_dir files;
  std::unique_ptr<test_stack> s;
  explicit staff_stack(json const& more = json::object()) {
    auto tokens = json::parse(std::ifstream(std::string(BALIE_SOURCE_DIR) + "/config/dev-tokens.json"));
    tokens["tokens"].push_back({{"name", "demo-colleague"}, {"sha256", gateway::sha256_hex(colleague_token)}, {"role", "staff"},
                                {"inboxes", {"algemeen", "telefoon"}}});
    tokens["tokens"].push_back({{"name", "demo-third"}, {"sha256", gateway::sha256_hex(third_token)}, {"role", "staff"}, {"inboxes", {"telefoon"}}});
    std::ofstream(files.path / "tokens.json") << tokens.dump();
    std::filesystem::create_directories(files.path / "web" / "inbox");
    std::ofstream(files.path / "web" / "inbox" / "index.html") << "<!doctype html><title>Inbox</title>";
    std::ofstream(files.path / "web" / "secret.json") << "{}";
    auto config = json{{"auth", {{"tokens_file", (files.path / "tokens.json").string()}}}, {"web", {{"root", (files.path / "web").string()}}}};
    config.merge_patch(more);
    s = std::make_unique<test_stack>(config);
  }
  std::uint16_t port() const { return s->port(); }
  http_reply call(std::string const& method, std::string const& target, char const* token, std::string const& body = {}) {
    return http_call(port(), method, target, token ? auth(token) : header_list{}, body);
  }
  /// A phone call from +31600000001; returns its case id.
  std::string phone_case(std::string const& call_id) {
    auto const body = json{{"call_id", call_id},
                           {"caller", "+31600000001"},
                           {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 2000}, {"text", "Mijn afvalbak is niet geleegd."}}}}};
    auto const r = call("POST", "/api/v1/transcripts", system_token, body.dump());
    REQUIRE(r.status == 202);
    return json::parse(r.body)["case_id"];
  }
  json case_view(std::string const& id, char const* token = staff_token) {
    auto const r = call("GET", "/api/v1/cases/" + id, token);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
};

json problem_of(http_reply const& r) {
  CHECK(r.headers.at("content-type") == "application/problem+json");
  return json::parse(r.body);
}

std::string invalid_param(http_reply const& r) {
  auto const p = problem_of(r);
  return p.contains("invalid-params") ? p["invalid-params"][0]["name"].get<std::string>() : std::string{};
}

} // namespace

TEST_CASE("authorization matrix: no token 401, other roles 403, staff of another inbox 403; errors reveal nothing") {
  staff_stack st;
  auto const id = st.phone_case("call-auth");
  auto const before = st.case_view(id);
  struct endpoint {
    std::string method, target;
    bool case_bound;  ///< refused to staff of another inbox
  };
  std::vector<endpoint> const endpoints = {
      {"GET", "/api/v1/me", false},
      {"GET", "/api/v1/inboxes", false},
      {"GET", "/api/v1/inboxes/telefoon/cases", true},
      {"GET", "/api/v1/cases/" + id, true},
      {"GET", "/api/v1/cases/" + id + "/attachments/" + std::string(64, 'a'), true},
      {"GET", "/api/v1/events?inbox=telefoon", true},
      {"POST", "/api/v1/cases/" + id + "/claim", true},
      {"POST", "/api/v1/cases/" + id + "/release", true},
      {"POST", "/api/v1/cases/" + id + "/transfer", true},
      {"POST", "/api/v1/cases/" + id + "/notes", true},
      {"POST", "/api/v1/cases/" + id + "/close", true},
      {"POST", "/api/v1/cases/" + id + "/reopen", true},
      {"POST", "/api/v1/cases/" + id + "/replies", true},
  };
  std::string const bodies[] = {R"({"inbox":"vergunningen"})", R"({"text":"Hallo"})"};
  auto reveals = [&](std::string const& body) {
    for (auto const& secret : {before["reference"].get<std::string>(), std::string("+31600000001"), std::string("afvalbak"),
                               std::string("telefoon")})
      if (body.find(secret) != std::string::npos) return secret;
    return std::string{};
  };
  for (auto const& e : endpoints) {
    CAPTURE(e.target);
    auto const body = e.target.ends_with("transfer") ? bodies[0] : bodies[1];
    auto const none = st.call(e.method, e.target, nullptr, body);
    CHECK(none.status == 401);
    CHECK(none.headers.at("www-authenticate") == "Bearer");
    CHECK(st.call(e.method, e.target, "not-a-token", body).status == 401);
    for (auto const* token : {admin_token, system_token, privacy_token}) {
      auto const r = st.call(e.method, e.target, token, body);
      CHECK(r.status == 403);
      CHECK(reveals(r.body) == "");
    }
    if (e.case_bound) {
      auto const r = st.call(e.method, e.target, permits_token, body);
      CHECK(r.status == 403);
      CHECK(reveals(r.body) == "");
    }
  }
  // An unknown case looks the same as any other 404, for everyone.
  CHECK(st.call("GET", "/api/v1/cases/01M8HMDJ70ZXE7TJQS55D6MWYZ", permits_token).status == 404);
  CHECK(st.call("POST", "/api/v1/cases/not-an-id/claim", staff_token).status == 404);
  // Nothing of the refused requests happened.
  auto const after = st.case_view(id);
  CHECK(after["state"] == "open");
  CHECK(after["inbox"] == "telefoon");
  CHECK(after["messages"].size() == 1);
  CHECK(after["notes"].empty());
  CHECK(st.s->redis.integer({"EXISTS", queue::keys::outbound("sms")}) == 0);
}

TEST_CASE("a phone call answered by SMS: claim, reply, delivery status in the case, counts in the inbox") {
  staff_stack st;
  auto const id = st.phone_case("call-reply");
  auto const me = json::parse(st.call("GET", "/api/v1/me", staff_token).body);
  CHECK(me["name"] == "demo-staff");
  CHECK(me["inboxes"] == json::array({"algemeen", "telefoon"}));

  auto inbox_stats = [&] {
    auto const all = json::parse(st.call("GET", "/api/v1/inboxes", staff_token).body);
    for (auto const& i : all["inboxes"])
      if (i["id"] == "telefoon") return i;
    return json{};
  };
  CHECK(inbox_stats()["open_cases"] == 1);
  CHECK(inbox_stats()["unanswered_cases"] == 1);
  CHECK(inbox_stats()["oldest_unanswered_at"].is_string());

  auto view = st.case_view(id);
  REQUIRE(view["reply_options"].size() == 1);
  CHECK(view["reply_options"][0] == json{{"channel", "sms"}, {"address", "+31600000001"}, {"default", true}, {"enabled", true}});
  CHECK(view["inboxes"] == json::array({{{"id", "algemeen"}, {"name", "Algemeen"}}, {{"id", "vergunningen"}, {"name", "Vergunningen"}}}));

  auto const claimed = st.call("POST", "/api/v1/cases/" + id + "/claim", staff_token);
  REQUIRE(claimed.status == 200);
  CHECK(json::parse(claimed.body)["assignee"] == "demo-staff");
  CHECK(json::parse(claimed.body)["state"] == "claimed");
  auto const taken = st.call("POST", "/api/v1/cases/" + id + "/claim", colleague_token);
  CHECK(taken.status == 409);
  CHECK(problem_of(taken)["type"].get<std::string>().ends_with("claimed-by-other"));
  CHECK(st.call("POST", "/api/v1/cases/" + id + "/replies", colleague_token, R"({"text":"Ook hallo"})").status == 409);

  auto const sent = st.call("POST", "/api/v1/cases/" + id + "/replies", staff_token, R"({"text":"  Wij legen uw bak morgen.  "})");
  REQUIRE(sent.status == 202);
  auto const message = json::parse(sent.body)["message"];
  CHECK(message["direction"] == "outbound");
  CHECK(message["channel"] == "sms");
  CHECK(message["text"] == "Wij legen uw bak morgen.");
  CHECK(message["resident"]["addresses"] == json::array({{{"kind", "phone"}, {"value", "+31600000001"}}}));
  CHECK(message["delivery"]["status"] == "queued");
  CHECK(message["in_reply_to"] == view["messages"][0]["id"]);
  CHECK(schema_errors({message}) == "");
  CHECK(st.s->redis.integer({"XLEN", queue::keys::outbound("sms")}) == 1);
  CHECK(inbox_stats()["unanswered_cases"] == 0);

  // A sender reports back; the case view shows it.
  {
    harness h(options_for(st.s->redis));
    REQUIRE(h.wait_event("redis.ready"));
    queue::case_workflow flow(h.redis);
    queue::delivery_update u{id, message["id"], "sent", 1, "", "2026-11-28T10:00:00Z"};
    auto const r = await<std::pair<boost::system::error_code, queue::action_result>>([&](auto d) { flow.report_delivery(u, d); });
    REQUIRE(!r.first);
  }
  view = st.case_view(id);
  REQUIRE(view["messages"].size() == 2);
  CHECK(view["messages"][1]["delivery"]["status"] == "sent");
  CHECK(view["messages"][1]["delivery"]["attempts"] == 1);
  CHECK(schema_errors({view["messages"][1]}) == "");
  // Every action and read was audited, without the text.
  auto const audit = st.s->redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  for (auto const* action : {"case.read", "case.claim", "case.reply"}) CHECK(std::find(audit.begin(), audit.end(), action) != audit.end());
  for (auto const& line : audit) CHECK(line.find("bak morgen") == std::string::npos);
}

TEST_CASE("a reply is checked before it is queued: text, fields, the resident's own addresses, SMS length and opt-out") {
  staff_stack st;
  auto const id = st.phone_case("call-checks");
  auto reply = [&](std::string const& body) { return st.call("POST", "/api/v1/cases/" + id + "/replies", staff_token, body); };
  CHECK(reply("not json").status == 400);
  CHECK(reply("[]").status == 400);
  auto r = reply(R"({"text":"   "})");
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "text");
  r = reply(R"({"text":"Hallo","cc":"x"})");
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "cc");
  r = reply(R"({"text":5})");
  CHECK(r.status == 400);
  r = reply(R"({"text":"Hallo\u0007"})");
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "text");
  r = reply(R"({"text":"Hallo","channel":"sms","address":"+31600000099"})");
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "address");
  r = reply(R"({"text":"Hallo","channel":"email"})");
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "channel");
  r = reply(R"({"text":"Hallo","channel":"fax"})");
  CHECK(r.status == 400);
  // Seven SMS parts where six are allowed (153 GSM characters per part).
  r = reply(json{{"text", std::string(6 * 153 + 1, 'a')}}.dump());
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "text");
  CHECK(json::parse(r.body)["invalid-params"][0]["reason"].get<std::string>().find("7 SMS parts") != std::string::npos);
  st.s->redis.command({"SADD", std::string(queue::keys::sms_opt_out), "+31600000001"});
  r = reply(R"({"text":"Hallo"})");
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "address");
  // None of it reached the outbound stream or changed the case.
  CHECK(st.s->redis.integer({"EXISTS", queue::keys::outbound("sms")}) == 0);
  CHECK(st.case_view(id)["state"] == "open");
  st.s->redis.command({"SREM", std::string(queue::keys::sms_opt_out), "+31600000001"});
  REQUIRE(st.call("POST", "/api/v1/cases/" + id + "/close", staff_token).status == 200);
  r = reply(R"({"text":"Hallo"})");
  CHECK(r.status == 409);
  CHECK(problem_of(r)["type"].get<std::string>().ends_with("case-closed"));
}

TEST_CASE("transfer, notes, close and reopen through the API; the case list follows") {
  staff_stack st;
  auto const id = st.phone_case("call-flow");
  auto note = st.call("POST", "/api/v1/cases/" + id + "/notes", staff_token, R"({"text":"Bewoner is slechthorend: liever SMS."})");
  REQUIRE(note.status == 201);
  CHECK(json::parse(note.body)["author"] == "demo-staff");
  CHECK(st.call("POST", "/api/v1/cases/" + id + "/notes", staff_token, R"({"text":""})").status == 400);
  auto view = st.case_view(id);
  REQUIRE(view["notes"].size() == 1);
  CHECK(view["notes"][0]["text"] == "Bewoner is slechthorend: liever SMS.");

  auto list = [&](std::string const& inbox, std::string const& query, char const* token = staff_token) {
    auto const r = st.call("GET", "/api/v1/inboxes/" + inbox + "/cases" + query, token);
    REQUIRE(r.status == 200);
    return json::parse(r.body)["cases"];
  };
  CHECK(st.call("POST", "/api/v1/cases/" + id + "/release", staff_token).status == 409);  // nobody holds it
  REQUIRE(st.call("POST", "/api/v1/cases/" + id + "/close", staff_token).status == 200);
  CHECK(list("telefoon", "").empty());
  CHECK(list("telefoon", "?state=closed").size() == 1);
  CHECK(st.call("POST", "/api/v1/cases/" + id + "/close", staff_token).status == 409);
  REQUIRE(st.call("POST", "/api/v1/cases/" + id + "/reopen", staff_token).status == 200);
  CHECK(list("telefoon", "?state=open").size() == 1);
  CHECK(list("telefoon", "?channel=email").empty());
  CHECK(list("telefoon", "?priority=normal").size() == 1);
  CHECK(st.call("GET", "/api/v1/inboxes/telefoon/cases?state=weg", staff_token).status == 400);
  CHECK(st.call("GET", "/api/v1/inboxes/telefoon/cases?cursor=1-x", staff_token).status == 400);

  auto r = st.call("POST", "/api/v1/cases/" + id + "/transfer", staff_token, R"({"inbox":"nergens"})");
  CHECK(r.status == 400);
  CHECK(invalid_param(r) == "inbox");
  CHECK(st.call("POST", "/api/v1/cases/" + id + "/transfer", staff_token, R"({"inbox":"telefoon"})").status == 409);
  REQUIRE(st.call("POST", "/api/v1/cases/" + id + "/transfer", staff_token, R"({"inbox":"vergunningen"})").status == 200);
  CHECK(st.call("GET", "/api/v1/cases/" + id, staff_token).status == 403);
  CHECK(st.case_view(id, permits_token)["inbox"] == "vergunningen");
  CHECK(list("vergunningen", "", permits_token).size() == 1);
  CHECK(list("telefoon", "").empty());
}

TEST_CASE("live updates: events of one's own inboxes only, without contents; Last-Event-ID resumes") {
  staff_stack st;
  stream_reader staff(st.port(), "/api/v1/events", auth(staff_token));
  stream_reader permits(st.port(), "/api/v1/events", auth(permits_token));
  REQUIRE(staff.wait_for(": connected"));
  REQUIRE(permits.wait_for(": connected"));
  CHECK(staff.received().find("Content-Type: text/event-stream") != std::string::npos);

  auto const id = st.phone_case("call-live");
  REQUIRE(staff.wait_for("event: message.created"));
  CHECK(staff.received().find("event: case.created") != std::string::npos);
  CHECK(staff.received().find(id) != std::string::npos);
  CHECK(staff.received().find("afvalbak") == std::string::npos);
  auto const first_id = [&] {
    auto const at = staff.received().find("id: ");
    return staff.received().substr(at + 4, staff.received().find('\n', at) - at - 4);
  }();

  REQUIRE(st.call("POST", "/api/v1/cases/" + id + "/transfer", staff_token, R"({"inbox":"vergunningen"})").status == 200);
  REQUIRE(permits.wait_for("event: case.transferred"));
  CHECK(permits.received().find("case.created") == std::string::npos);  // that happened in an inbox they cannot see

  stream_reader resumed(st.port(), "/api/v1/events", {{"Authorization", "Bearer staff-demo-token"}, {"Last-Event-ID", first_id}});
  REQUIRE(resumed.wait_for("event: case.transferred"));
  CHECK(resumed.received().find("event: message.created") != std::string::npos);  // missed after the first event
  CHECK(resumed.received().find("id: " + first_id + "\n") == std::string::npos);   // not the one it had

  CHECK(st.call("GET", "/api/v1/events?inbox=vergunningen", staff_token).status == 403);
  CHECK(http_call(st.port(), "GET", "/api/v1/events", {{"Authorization", "Bearer staff-demo-token"}, {"Last-Event-ID", "x"}}).status == 400);
}

TEST_CASE("the staff page is served with a strict CSP; nothing outside the web folders can be named") {
  staff_stack st;
  auto const page = http_call(st.port(), "GET", "/inbox/");
  REQUIRE(page.status == 200);
  CHECK(page.headers.at("content-type") == "text/html; charset=utf-8");
  CHECK(page.headers.at("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.headers.at("content-security-policy").find("unsafe") == std::string::npos);
  auto const bare = http_call(st.port(), "GET", "/inbox");
  CHECK(bare.status == 301);
  CHECK(bare.headers.at("location") == "/inbox/");
  for (auto const* path : {"/inbox/../secret.json", "/inbox/%2e%2e/secret.json", "/inbox/.hidden", "/vendor/../secret.json",
                           "/inbox//index.html", "/inbox/index.exe", "/chat/nothing.js"}) {
    CAPTURE(path);
    CHECK(http_call(st.port(), "GET", path).status == 404);
  }
  CHECK(http_call(st.port(), "POST", "/inbox/").status == 405);
}

TEST_CASE("a claim nobody renews returns the case to its inbox, announced live") {
  test_stack s(json{{"staff", {{"claim_ttl_seconds", 1}}}});
  auto const body = json{{"call_id", "call-expire"},
                         {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1000}, {"text", "Hallo"}}}}};
  auto const r = http_call(s.port(), "POST", "/api/v1/transcripts", auth(system_token), body.dump());
  REQUIRE(r.status == 202);
  std::string const id = json::parse(r.body)["case_id"];
  stream_reader live(s.port(), "/api/v1/events?case=" + id, auth(staff_token));
  REQUIRE(live.wait_for(": connected"));
  REQUIRE(http_call(s.port(), "POST", "/api/v1/cases/" + id + "/claim", auth(staff_token)).status == 200);
  REQUIRE(s.balied->wait_for_event("claims.expired"));
  REQUIRE(live.wait_for("\"reason\":\"expired\""));
  auto const view = json::parse(http_call(s.port(), "GET", "/api/v1/cases/" + id, auth(staff_token)).body);
  CHECK(view["state"] == "open");
  CHECK(view["assignee"].is_null());
}

TEST_CASE("SIGTERM ends open event streams and balied still exits cleanly") {
  test_stack s;
  stream_reader live(s.port(), "/api/v1/events", auth(staff_token));
  REQUIRE(live.wait_for(": connected"));
  CHECK(s.balied->process().signal_and_wait(SIGTERM) == 0);
  CHECK(!live.wait_for("never sent", std::chrono::seconds(10)));
  CHECK(live.ended());  // closed by balied, not timed out
}

TEST_CASE("two staff members claim the same case at the same moment: exactly one wins, every round") {
  staff_stack st;
  for (int round = 0; round < 40; ++round) {
    auto const id = st.phone_case("kcc-race-" + std::to_string(round));
    std::atomic<int> ready{0};
    unsigned statuses[2] = {0, 0};
    auto claim = [&](int who) {
      http_connection c(st.port());  // connected before the start signal: both requests leave together
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();
      statuses[who] = c.call("POST", "/api/v1/cases/" + id + "/claim", auth(who == 0 ? staff_token : colleague_token)).status;
    };
    std::thread a(claim, 0), b(claim, 1);
    a.join();
    b.join();
    INFO("round ", round, ": ", statuses[0], " ", statuses[1]);
    CHECK(((statuses[0] == 200 && statuses[1] == 409) || (statuses[0] == 409 && statuses[1] == 200)));
    auto const holder = st.case_view(id)["assignee"];
    CHECK(holder == (statuses[0] == 200 ? "demo-staff" : "demo-colleague"));
  }
}

TEST_CASE("an inbox with round-robin assignment proposes each new case to the next available staff member; a claim stays its owner's") {
  staff_stack st(json{{"inboxes",
                       {{{"id", "algemeen"}, {"name", "Algemeen"}},
                        {{"id", "telefoon"}, {"name", "Telefoon"}, {"assignment", "round_robin"}},
                        {{"id", "vergunningen"}, {"name", "Vergunningen"}}}}});
  auto available = [&](char const* token, json body) { return st.call("POST", "/api/v1/me/availability", token, body.dump()); };
  CHECK(json::parse(st.call("GET", "/api/v1/me", staff_token).body)["available"] == false);
  REQUIRE(available(staff_token, {{"available", true}}).status == 200);
  REQUIRE(available(third_token, {{"available", true}}).status == 200);
  REQUIRE(available(colleague_token, {{"available", false}}).status == 200);  // demo-colleague is away
  CHECK(json::parse(st.call("GET", "/api/v1/me", staff_token).body)["available"] == true);
  // Hostile and wrong: a clear refusal, nothing changed.
  CHECK(available(staff_token, {{"available", "ja"}}).status == 400);
  CHECK(available(staff_token, json::object()).status == 400);
  CHECK(available(staff_token, {{"available", true}, {"name", "demo-third"}}).status == 400);
  CHECK(st.call("POST", "/api/v1/me/availability", staff_token, "{not json").status == 400);
  CHECK(available(admin_token, {{"available", true}}).status == 403);
  CHECK(available(nullptr, {{"available", true}}).status == 401);

  std::vector<std::string> proposed;
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto newest = [&] {
      auto const last = st.s->redis.list({"XREVRANGE", std::string(queue::keys::events), "+", "-", "COUNT", "1"});
      return last.empty() ? std::string("0-0") : last[0];
    };
    auto cursor = newest();
    ids.push_back(st.phone_case("call-assign-" + std::to_string(i)));
    // The proposal follows the durable enqueue: read the case again after each new event
    // (blocking reads of the event stream, no sleeping).
    for (int reads = 0; reads < 20 && !st.case_view(ids.back())["proposed_to"].is_string(); ++reads) {
      st.s->redis.list({"XREAD", "BLOCK", "5000", "STREAMS", std::string(queue::keys::events), cursor});
      cursor = newest();
    }
    auto const view = st.case_view(ids.back());
    REQUIRE(view["proposed_to"].is_string());
    CHECK(view["state"] == "open");       // a proposal, not a claim
    CHECK(view["assignee"].is_null());
    CHECK(view["proposed_at"].is_string());
    proposed.push_back(view["proposed_to"]);
  }
  CHECK(proposed == std::vector<std::string>{"demo-staff", "demo-third", "demo-staff", "demo-third"});
  // Anyone of the inbox may take a proposed case; then it is theirs.
  REQUIRE(st.call("POST", "/api/v1/cases/" + ids[0] + "/claim", colleague_token).status == 200);
  auto const claimed = st.case_view(ids[0]);
  CHECK(claimed["assignee"] == "demo-colleague");
}
