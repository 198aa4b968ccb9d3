// The class of defect "a field of another JSON type ends the process",
// tested as a class: for every JSON endpoint and every WebSocket frame type,
// each field of a valid body in turn (nested ones and list elements too) is
// replaced by every kind of JSON value. After each request balied must have
// answered without a 5xx and must still be healthy; wherever the type is
// wrong the answer is 400 (422 for the transcript format, as documented)
// naming the field. Strings with NUL or bidi controls are cleaned or refused.
#include "tests/support/balied_process.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/ws_client.hpp"

#include <doctest/doctest.h>

#include <functional>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

/// Every kind of value a hostile client can put where a field was.
std::vector<json> hostile_values() {
  return {json(5),
          json::parse("99999999999999999999999"),  // above uint64: nlohmann makes it a float
          json(-1),
          json(1.5),
          json(true),
          json(nullptr),
          json::array(),
          json::array({1, "x"}),
          json::object(),
          json{{"a", 1}},
          json(""),
          json(std::string(70 * 1024, 'x')),
          json(std::string("a\0b", 3)),
          json("\u202Eevil\u2066")};
}

/// Every leaf and container below the root, as JSON pointers, with the name
/// the API gives it in invalid-params: dotted, list elements named by their list.
struct field {
  json::json_pointer pointer;
  std::string name;
};
void collect(json const& j, json::json_pointer const& at, std::string const& name, std::vector<field>& out) {
  if (!at.empty()) out.push_back({at, name});
  if (j.is_object())
    for (auto const& [k, v] : j.items()) collect(v, at / k, name.empty() ? k : name + "." + k, out);
  if (j.is_array())
    for (std::size_t i = 0; i < j.size(); ++i) collect(j[i], at / i, name, out);
}

bool same_kind(json const& a, json const& b) {
  if (a.is_number() && b.is_number()) return a.is_number_float() == b.is_number_float() || a.is_number_float();
  return a.type() == b.type();
}

std::string named_field(http_reply const& r) {
  auto const p = json::parse(r.body, nullptr, false);
  if (p.is_discarded() || !p.contains("invalid-params") || !p["invalid-params"].is_array() || p["invalid-params"].empty()) return {};
  return p["invalid-params"][0].value("name", "");
}

struct endpoint {
  std::string name;
  std::string method, path;
  std::function<header_list()> headers;
  json body;
  bool pointer_names = false;  ///< the transcript format names fields by JSON pointer
};

void check_healthy(std::uint16_t port) {
  auto const h = http_call(port, "GET", "/healthz");
  REQUIRE_MESSAGE(h.status == 200, "balied is not healthy any more");
}

/// Sends every mutation of `e`; returns how many requests were made.
int hammer(std::uint16_t port, endpoint const& e) {
  std::vector<field> fields;
  collect(e.body, json::json_pointer(), "", fields);
  int sent = 0;
  for (auto const& f : fields) {
    auto const original = e.body[f.pointer];
    for (auto const& v : hostile_values()) {
      auto body = e.body;
      body[f.pointer] = v;
      auto const r = http_call(port, e.method, e.path, e.headers(), body.dump());
      ++sent;
      INFO(e.name, " ", f.pointer.to_string(), " = ", v.dump().substr(0, 60), " -> ", r.status, " ", r.body.substr(0, 300));
      CHECK(r.status != 0);
      CHECK(r.status < 500);
      // A 70 KB string is over a resident's body limit (64 KiB: refused
      // unread) and over a transcript segment's: refused as too large.
      auto const too_large = r.status == 413 && body.dump().size() > 64 * 1024;
      if (too_large)
        CHECK((r.body.find("urn:balie:problem:body-too-large") != std::string::npos ||
               r.body.find("urn:balie:problem:segment-too-large") != std::string::npos));
      if (!v.is_null() && !same_kind(original, v) && !too_large) {
        CHECK(r.status == (e.pointer_names ? 422u : 400u));
        CHECK(named_field(r) == (e.pointer_names ? f.pointer.to_string() : f.name));
      }
    }
    check_healthy(port);
  }
  return sent;
}

/// This test is about types, not rates: limits that it never reaches.
json generous_limits() {
  return {{"channels",
           {{"webchat",
             {{"messages_per_minute", 6000}, {"message_burst", 1000}, {"address_messages_per_minute", 600000},
              {"address_message_burst", 100000}, {"max_connections_per_address", 100000},
              {"sessions_per_address", 100000}, {"leave_messages_per_address", 100000}}}}}};
}

} // namespace

TEST_CASE("every JSON endpoint answers every field of every JSON type without a 5xx, and names a field of the wrong type") {
  test_stack s(generous_limits());
  auto const port = s.port();
  auto const origin = "http://127.0.0.1:" + std::to_string(port);
  header_list const browser{{"Origin", origin}, {"Content-Type", "application/json"}};
  auto const bearer = [](std::string const& token) {
    return header_list{{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
  };

  auto const call = json::parse(read_fixture("phone/call-balie.json"));
  auto const stored = http_call(port, "POST", "/api/v1/transcripts", bearer(system_token), call.dump());
  REQUIRE(stored.status == 202);
  std::string const case_id = json::parse(stored.body)["case_id"];
  auto const session = json::parse(http_call(port, "POST", "/api/v1/chat/sessions", browser, R"({"lang":"nl"})").body);
  std::string const chat_token = session["token"];
  header_list chat = browser;
  chat.emplace_back("Authorization", "Bearer " + chat_token);

  std::vector<endpoint> const endpoints = {
      {"new chat session", "POST", "/api/v1/chat/sessions", [&] { return browser; },
       {{"lang", "nl"}, {"name", "Jan Jansen"}, {"needs", {"screen-reader", "callback"}}}},
      {"chat message", "POST", "/api/v1/chat/messages", [&] { return chat; }, {{"client_id", "m-1"}, {"text", "Hallo"}}},
      {"leave a message", "POST", "/api/v1/chat/leave-message", [&] { return browser; },
       {{"text", "Bel mij terug."},
        {"name", "Jan Jansen"},
        {"lang", "nl"},
        {"needs", {"plain-language"}},
        {"reply", {{"channel", "email"}, {"address", "jan@burger.test"}}}}},
      {"staff note", "POST", "/api/v1/cases/" + case_id + "/notes", [&] { return bearer(staff_token); }, {{"text", "Notitie"}}},
      {"staff transfer", "POST", "/api/v1/cases/" + case_id + "/transfer", [&] { return bearer(staff_token); }, {{"inbox", "algemeen"}}},
      {"staff reply", "POST", "/api/v1/cases/" + case_id + "/replies", [&] { return bearer(staff_token); },
       {{"text", "Wij bellen u terug."}, {"channel", "sms"}, {"address", "+31600000001"}}},
      {"transcript", "POST", "/api/v1/transcripts", [&] { return bearer(system_token); }, call, true},
  };
  int sent = 0;
  for (auto const& e : endpoints) sent += hammer(port, e);
  MESSAGE(sent, " hostile requests");
  CHECK(sent > 500);
}

TEST_CASE("hostile Last-Event-ID headers are refused with 400, never a crash") {
  test_stack s;
  auto const port = s.port();
  auto const origin = "http://127.0.0.1:" + std::to_string(port);
  auto const session = json::parse(
      http_call(port, "POST", "/api/v1/chat/sessions", {{"Origin", origin}, {"Content-Type", "application/json"}}, "{}").body);
  std::string const chat_token = session["token"];
  for (std::string const id : {"99999999999999999999999-0", "1-99999999999999999999999", "-1-0", "1--1", "+1-0", "abc", "1-", "-",
                               "18446744073709551616-0", "1-0 x"}) {
    INFO(id);
    auto const staff = http_call(port, "GET", "/api/v1/events", {{"Authorization", "Bearer staff-demo-token"}, {"Last-Event-ID", id}});
    CHECK(staff.status == 400);
    check_healthy(port);
  }
  for (std::string const seq : {"99999999999999999999999", "-1", "+1", "01", "1.5", "abc", "1 x", "9223372036854775808"}) {
    INFO(seq);
    auto const r = http_call(port, "GET", "/api/v1/chat/events",
                             {{"Origin", origin}, {"Authorization", "Bearer " + chat_token}, {"Last-Event-ID", seq}});
    CHECK(r.status == 400);
    check_healthy(port);
  }
}

TEST_CASE("every WebSocket frame type survives every field of every JSON type: an error frame or a policy close, never 1011") {
  test_stack s(generous_limits());
  auto const port = s.port();
  auto const origin = "http://127.0.0.1:" + std::to_string(port);
  auto const session = json::parse(
      http_call(port, "POST", "/api/v1/chat/sessions", {{"Origin", origin}, {"Content-Type", "application/json"}}, "{}").body);
  std::string const token = session["token"];

  json const hello = {{"v", 1}, {"type", "hello"}, {"token", token}, {"last_seq", 0}};
  json const message = {{"v", 1}, {"type", "message"}, {"client_id", "m-1"}, {"text", "Hallo"}};
  int frames = 0;

  // hello: a fresh socket per frame; a bad hello closes with a policy or session code, never 1011.
  std::vector<field> fields;
  collect(hello, json::json_pointer(), "", fields);
  for (auto const& f : fields)
    for (auto const& v : hostile_values()) {
      auto frame = hello;
      frame[f.pointer] = v;
      INFO("hello ", f.pointer.to_string(), " = ", v.dump().substr(0, 60));
      ws_client ws(port, origin);
      REQUIRE(ws.refused_status() == 0);
      REQUIRE(ws.send(frame.dump()));
      ++frames;
      while (auto const answer = ws.receive(std::chrono::seconds(5))) {
        auto const j = json::parse(*answer);
        if (j["type"] == "welcome") break;  // a value that happens to be acceptable
      }
      CHECK(ws.close_code() != 1011);
      check_healthy(port);
    }

  // message: after a good hello each hostile frame gets an error frame or an
  // ack (a frame over 64 KiB: closed, 1009); a fresh socket per frame.
  fields.clear();
  collect(message, json::json_pointer(), "", fields);
  int n = 0;
  for (auto const& f : fields)
    for (auto const& v : hostile_values()) {
      auto frame = message;
      frame[f.pointer] = v;
      if (f.pointer.to_string() != "/client_id") frame["client_id"] = "h-" + std::to_string(++n);
      auto const text = frame.dump();
      INFO("message ", f.pointer.to_string(), " = ", v.dump().substr(0, 60));
      ws_client ws(port, origin);
      REQUIRE(ws.refused_status() == 0);
      REQUIRE(ws.send(hello.dump()));
      REQUIRE(json::parse(*ws.receive())["type"] == "welcome");
      REQUIRE(ws.send(text));
      ++frames;
      std::optional<std::string> answer;
      // Skip replayed and echoed entries (type msg) to reach the answer to this frame.
      do answer = ws.receive(std::chrono::seconds(10));
      while (answer && json::parse(*answer)["type"] == "msg");
      if (text.size() > 64 * 1024) {
        // Closed with 1009; a client still writing the frame may see only the reset.
        CHECK(!answer);
        CHECK((ws.close_code() == 1009 || ws.close_code() == 0));
        continue;
      }
      REQUIRE_MESSAGE(answer, "no answer; close code ", ws.close_code());
      auto const type = json::parse(*answer)["type"];
      CHECK((type == "error" || type == "ack"));
    }
  check_healthy(port);
  MESSAGE(frames, " hostile frames");
}
