// The web chat against a real balied and redis-server: a resident's
// WebSocket from message to case and back, resume after a forced
// disconnect, the fallback transport, leave-a-message, and every hostile
// case the protocol names (Origin, frame size, UTF-8, JSON, floods,
// connections per address, unknown and expired sessions).
#include "channels/text.hpp"
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/schema_check.hpp"
#include "tests/support/ws_client.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

header_list staff() { return {{"Authorization", "Bearer staff-demo-token"}, {"Content-Type", "application/json"}}; }

struct chat_stack {
  test_stack s;
  std::string origin;
  explicit chat_stack(json overrides = json::object()) : s(std::move(overrides)), origin("http://127.0.0.1:" + std::to_string(s.port())) {}
  std::uint16_t port() const { return s.port(); }

  json new_session(json body = {{"lang", "nl"}, {"name", "Jan Jansen"}, {"needs", {"screen-reader"}}}) {
    auto const r = http_call(port(), "POST", "/api/v1/chat/sessions", {{"Origin", origin}, {"Content-Type", "application/json"}}, body.dump());
    REQUIRE(r.status == 201);
    return json::parse(r.body);
  }
  /// A socket past hello; the welcome frame is checked.
  std::unique_ptr<ws_client> connect(std::string const& token, std::int64_t last_seq = 0) {
    auto ws = std::make_unique<ws_client>(port(), origin);
    REQUIRE(ws->refused_status() == 0);
    REQUIRE(ws->send(json{{"v", 1}, {"type", "hello"}, {"token", token}, {"last_seq", last_seq}}.dump()));
    auto const welcome = ws->receive();
    REQUIRE(welcome);
    REQUIRE(json::parse(*welcome)["type"] == "welcome");
    return ws;
  }
  json next(ws_client& ws) {
    auto const f = ws.receive();
    REQUIRE(f);
    return json::parse(*f);
  }
  std::string case_of(std::string const& conversation) {
    auto const list = json::parse(http_call(port(), "GET", "/api/v1/inboxes/algemeen/cases", staff()).body)["cases"];
    for (auto const& c : list) {
      auto const view = json::parse(http_call(port(), "GET", "/api/v1/cases/" + c["id"].get<std::string>(), staff()).body);
      for (auto const& o : view["reply_options"])
        if (o["address"] == conversation) return c["id"];
    }
    return {};
  }
  void staff_reply(std::string const& case_id, std::string const& text) {
    REQUIRE(http_call(port(), "POST", "/api/v1/cases/" + case_id + "/replies", staff(), json{{"text", text}}.dump()).status == 202);
  }
};

json message(std::string const& client_id, std::string const& text) {
  return {{"v", 1}, {"type", "message"}, {"client_id", client_id}, {"text", text}};
}

} // namespace

TEST_CASE("a resident's chat message becomes a case; the staff reply reaches the socket; a resend is acknowledged once") {
  chat_stack c;
  auto const session = c.new_session();
  std::string const token = session["token"], conversation = session["conversation_id"];
  auto ws = c.connect(token);
  REQUIRE(ws->send(message("m-1", "Mijn container is kapot.").dump()));
  auto const ack = c.next(*ws);
  CHECK(ack["type"] == "ack");
  CHECK(ack["client_id"] == "m-1");
  CHECK(ack["seq"] == 1);
  // Its own message comes back as entry 1 of the conversation (other tabs see it too).
  CHECK(c.next(*ws)["seq"] == 1);

  auto const case_id = c.case_of(conversation);
  REQUIRE(!case_id.empty());
  auto const view = json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + case_id, staff()).body);
  REQUIRE(view["messages"].size() == 1);
  auto const& m = view["messages"][0];
  CHECK(m["channel"] == "webchat");
  CHECK(m["text"] == "Mijn container is kapot.");
  CHECK(m["resident"]["name"] == "Jan Jansen");
  CHECK(m["resident"]["needs"] == json::array({"screen-reader"}));
  CHECK(m["addressed_to"] == c.origin);  // the page the chat was opened on: routing rules can read it
  CHECK(schema_errors({m}) == "");

  REQUIRE(ws->send(message("m-1", "Mijn container is kapot.").dump()));  // the client did not see the ack
  auto const again = c.next(*ws);
  CHECK(again["type"] == "ack");
  CHECK(again["seq"] == 1);
  CHECK(again["message_id"] == ack["message_id"]);
  CHECK(json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + case_id, staff()).body)["message_count"] == 1);

  stream_reader staff_events(c.port(), "/api/v1/events?case=" + case_id, staff());
  REQUIRE(staff_events.wait_for(": connected"));
  c.staff_reply(case_id, "Wij komen morgen langs.");
  auto const reply = c.next(*ws);
  CHECK(reply["type"] == "msg");
  CHECK(reply["from"] == "staff");
  CHECK(reply["seq"] == 2);
  CHECK(reply["text"] == "Wij komen morgen langs.");
  // The reply showed on the resident's screen: staff see it delivered.
  REQUIRE(staff_events.wait_for("\"status\":\"delivered\""));
  // Staff close the case: the resident is told.
  REQUIRE(http_call(c.port(), "POST", "/api/v1/cases/" + case_id + "/close", staff()).status == 200);
  auto const notice = c.next(*ws);
  CHECK(notice["type"] == "notice");
  CHECK(notice["code"] == "case-closed");
}

TEST_CASE("after a forced disconnect the conversation resumes: nothing lost, nothing twice") {
  chat_stack c;
  auto const session = c.new_session();
  std::string const token = session["token"];
  auto ws = c.connect(token);
  REQUIRE(ws->send(message("a", "Eerste vraag").dump()));
  REQUIRE(c.next(*ws)["type"] == "ack");
  CHECK(c.next(*ws)["seq"] == 1);
  ws.reset();  // the connection drops
  auto const case_id = c.case_of(session["conversation_id"]);
  c.staff_reply(case_id, "Antwoord een");
  c.staff_reply(case_id, "Antwoord twee");

  auto again = c.connect(token, 1);
  std::vector<std::string> texts;
  for (int i = 0; i < 2; ++i) {
    auto const f = c.next(*again);
    CHECK(f["seq"] == i + 2);
    texts.push_back(f["text"]);
  }
  CHECK(texts == std::vector<std::string>{"Antwoord een", "Antwoord twee"});
  c.staff_reply(case_id, "Antwoord drie");
  auto const live = c.next(*again);
  CHECK(live["seq"] == 4);
  CHECK(!again->receive(std::chrono::milliseconds(300)));  // nothing else, nothing twice
}

TEST_CASE("hostile sockets are refused or closed with the documented codes; other conversations go on") {
  chat_stack c(json{{"channels", {{"webchat", {{"message_burst", 5}, {"messages_per_minute", 60}}}}}});
  auto const bystander_session = c.new_session();
  auto bystander = c.connect(bystander_session["token"]);

  CHECK(ws_client(c.port(), "http://evil.test").refused_status() == 403);
  CHECK(ws_client(c.port(), "").refused_status() == 403);
  CHECK(ws_client(c.port(), c.origin, "/api/v1/elsewhere").refused_status() == 404);

  SUBCASE("anything but hello first") {
    ws_client ws(c.port(), c.origin);
    REQUIRE(ws.send(message("x", "hoi").dump()));
    CHECK(!ws.receive());
    CHECK(ws.close_code() == 1008);
  }
  SUBCASE("unknown token") {
    ws_client ws(c.port(), c.origin);
    REQUIRE(ws.send(R"({"v":1,"type":"hello","token":"bestaat-niet","last_seq":0})"));
    CHECK(!ws.receive());
    CHECK(ws.close_code() == 4401);
  }
  SUBCASE("expired session") {
    auto const session = c.new_session();
    // The session's end moved into the past (as if its time had run out).
    c.s.redis.command({"HSET", "balie:chat:session:" + sha256_hex(session["token"].get<std::string>()), "expires_at", "1"});
    ws_client ws(c.port(), c.origin);
    REQUIRE(ws.send(json{{"v", 1}, {"type", "hello"}, {"token", session["token"]}}.dump()));
    CHECK(!ws.receive());
    CHECK(ws.close_code() == 4408);
  }
  SUBCASE("oversized frame") {
    auto ws = c.connect(c.new_session()["token"]);
    REQUIRE(ws->send(message("big", std::string(65 * 1024, 'a')).dump()));
    CHECK(!ws->receive());
    CHECK(ws->close_code() == 1009);
  }
  SUBCASE("invalid UTF-8") {
    auto ws = c.connect(c.new_session()["token"]);
    ws->send(std::string("{\"v\":1,\"type\":\"message\",\"client_id\":\"u\",\"text\":\"\xC3\x28\"}"));
    CHECK(!ws->receive());
    CHECK(ws->close_code() == 1007);
  }
  SUBCASE("binary frames") {
    auto ws = c.connect(c.new_session()["token"]);
    ws->send_binary("\x01\x02");
    CHECK(!ws->receive());
    CHECK(ws->close_code() == 1008);
  }
  SUBCASE("invalid JSON and invalid messages get an error frame and the socket stays") {
    auto ws = c.connect(c.new_session()["token"]);
    REQUIRE(ws->send("{nope"));
    CHECK(c.next(*ws)["code"] == "invalid-json");
    REQUIRE(ws->send(message("t", std::string(4001, 'a')).dump()));
    CHECK(c.next(*ws)["code"] == "too-long");
    REQUIRE(ws->send(message("ok", "Nu wel").dump()));
    CHECK(c.next(*ws)["type"] == "ack");
  }
  SUBCASE("a flood: rate-limited errors, then closed with 4429") {
    auto ws = c.connect(c.new_session()["token"]);
    int acks = 0, limited = 0;
    for (int i = 0; i < 1000; ++i)
      if (!ws->send(message("f" + std::to_string(i), "spam").dump())) break;
    for (;;) {
      auto const f = ws->receive();
      if (!f) break;
      auto const j = json::parse(*f);
      acks += j["type"] == "ack";
      limited += j["type"] == "error" && j["code"] == "rate-limited";
    }
    CHECK(ws->close_code() == 4429);
    CHECK(acks <= 6);  // the burst, and at most one refill
    CHECK(limited > 0);
  }
  // The bystander's conversation was never touched.
  REQUIRE(bystander->send(message("b", "Nog een vraag").dump()));
  CHECK(c.next(*bystander)["type"] == "ack");
}

TEST_CASE("1,000 connections from one address: beyond the limit each is refused with 429") {
  chat_stack c(json{{"channels", {{"webchat", {{"max_connections_per_address", 20}}}}}});
  std::vector<std::unique_ptr<ws_client>> held;
  int refused = 0;
  for (int i = 0; i < 1000; ++i) {
    auto ws = std::make_unique<ws_client>(c.port(), c.origin);
    if (ws->refused_status() == 429) ++refused;
    else if (ws->refused_status() == 0) held.push_back(std::move(ws));
  }
  CHECK(held.size() == 20);
  CHECK(refused == 980);
  held.clear();  // closing frees the places again, as soon as balied has seen the connections end
  bool admitted = false;
  for (int attempt = 0; attempt < 2000 && !admitted; ++attempt) admitted = ws_client(c.port(), c.origin).refused_status() == 0;
  CHECK(admitted);
}

TEST_CASE("a closed case's conversation expires after the retention period; writing again reopens it and keeps it") {
  chat_stack c(json{{"channels", {{"webchat", {{"conversation_retention_days", 30}}}}}});
  auto const session = c.new_session();
  std::string const conversation = session["conversation_id"];
  header_list const auth = {{"Authorization", "Bearer " + session["token"].get<std::string>()}, {"Origin", c.origin},
                            {"Content-Type", "application/json"}};
  REQUIRE(http_call(c.port(), "POST", "/api/v1/chat/messages", auth, R"({"client_id":"r1","text":"Mijn pas is kwijt."})").status == 202);
  auto const case_id = c.case_of(conversation);
  REQUIRE(!case_id.empty());
  auto& redis = c.s.redis;
  auto const hash = "balie:chat:{" + conversation + "}", log = hash + ":log";
  CHECK(redis.integer({"TTL", hash}) == -1);
  REQUIRE(http_call(c.port(), "POST", "/api/v1/cases/" + case_id + "/close", staff()).status == 200);
  for (auto const& key : {hash, log}) {
    auto const ttl = redis.integer({"TTL", key});
    CHECK(ttl > 29 * 24 * 3600);
    CHECK(ttl <= 30 * 24 * 3600);
  }
  CHECK(redis.integer({"TTL", "balie:case:{" + case_id + "}:messages"}) == -1);  // the case keeps every message
  // The resident writes again before then: the case reopens and the conversation stays.
  REQUIRE(http_call(c.port(), "POST", "/api/v1/chat/messages", auth, R"({"client_id":"r2","text":"Nog een vraag."})").status == 202);
  CHECK(json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + case_id, staff()).body)["state"] == "open");
  CHECK(redis.integer({"TTL", hash}) == -1);
  CHECK(redis.integer({"TTL", log}) == -1);
}

TEST_CASE("the fallback's event streams count in the address's connection share, like sockets") {
  chat_stack c(json{{"channels", {{"webchat", {{"max_connections_per_address", 2}}}}}});
  auto const session = c.new_session();
  header_list const auth = {{"Authorization", "Bearer " + session["token"].get<std::string>()}, {"Origin", c.origin}};
  auto socket = c.connect(session["token"]);
  stream_reader events(c.port(), "/api/v1/chat/events", auth);
  REQUIRE(events.wait_for(": connected"));
  auto const third = http_call(c.port(), "GET", "/api/v1/chat/events", auth);
  CHECK(third.status == 429);
  CHECK(third.headers.count("retry-after") == 1);
  CHECK(ws_client(c.port(), c.origin).refused_status() == 429);
}

TEST_CASE("a fallback event stream ends when its session ends, and gives its place in the address's share back") {
  chat_stack c(json{{"channels", {{"webchat", {{"ping_seconds", 1}, {"max_connections_per_address", 1}}}}}});
  auto const session = c.new_session();
  std::string const token = session["token"];
  header_list const auth = {{"Authorization", "Bearer " + token}, {"Origin", c.origin}};
  stream_reader events(c.port(), "/api/v1/chat/events", auth);
  REQUIRE(events.wait_for(": ping"));  // alive across pings while the session lasts
  CHECK(!events.ended());
  c.s.redis.command({"DEL", "balie:chat:session:" + sha256_hex(token)});  // the session's time ran out
  CHECK(!events.wait_for("never sent", std::chrono::seconds(20)));
  CHECK(events.ended());
  // The place is free again for a new session of the same resident.
  auto const next = c.new_session();
  stream_reader again(c.port(), "/api/v1/chat/events", {{"Authorization", "Bearer " + next["token"].get<std::string>()}, {"Origin", c.origin}});
  CHECK(again.wait_for(": connected"));
}

TEST_CASE("the fallback transport: server-sent events and POST with the same sequence numbers") {
  chat_stack c;
  auto const session = c.new_session();
  header_list const auth = {{"Authorization", "Bearer " + session["token"].get<std::string>()}, {"Origin", c.origin},
                            {"Content-Type", "application/json"}};
  stream_reader events(c.port(), "/api/v1/chat/events", auth);
  REQUIRE(events.wait_for(": connected"));
  auto const sent = http_call(c.port(), "POST", "/api/v1/chat/messages", auth, R"({"client_id":"p1","text":"Via de omweg"})");
  REQUIRE(sent.status == 202);
  CHECK(json::parse(sent.body)["seq"] == 1);
  REQUIRE(events.wait_for("id: 1\nevent: msg"));
  c.staff_reply(c.case_of(session["conversation_id"]), "Ontvangen");
  REQUIRE(events.wait_for("id: 2\nevent: msg"));
  stream_reader resumed(c.port(), "/api/v1/chat/events",
                        {{"Authorization", "Bearer " + session["token"].get<std::string>()}, {"Last-Event-ID", "1"}});
  REQUIRE(resumed.wait_for("id: 2\n"));
  CHECK(resumed.received().find("id: 1\n") == std::string::npos);
  auto const history = json::parse(http_call(c.port(), "GET", "/api/v1/chat/history", auth).body);
  CHECK(history["last_seq"] == 2);
  CHECK(history["messages"].size() == 2);
  CHECK(http_call(c.port(), "GET", "/api/v1/chat/history", {{"Authorization", "Bearer nope"}}).status == 401);
  CHECK(http_call(c.port(), "GET", "/api/v1/chat/events").status == 401);
  CHECK(http_call(c.port(), "POST", "/api/v1/chat/messages", auth, R"({"client_id":"a b","text":"x"})").status == 400);
  CHECK(http_call(c.port(), "POST", "/api/v1/chat/messages", auth, R"({"client_id":"p2"})").status == 400);
  // The socket's address without an upgrade says how to use it.
  auto const plain = http_call(c.port(), "GET", "/api/v1/chat/ws");
  CHECK(plain.status == 426);
  CHECK(plain.headers.at("upgrade") == "websocket");
}

TEST_CASE("a session is extended by one action; unknown tokens and foreign pages are refused") {
  chat_stack c;
  auto const session = c.new_session();
  CHECK(session["expires_in"] == 7200);
  header_list const auth = {{"Authorization", "Bearer " + session["token"].get<std::string>()}, {"Origin", c.origin}};
  auto const extended = http_call(c.port(), "POST", "/api/v1/chat/sessions/extend", auth);
  REQUIRE(extended.status == 200);
  auto const body = json::parse(extended.body);
  CHECK(body["expires_in"] == 7200);
  CHECK(body["expires_at"].get<std::string>() >= session["expires_at"].get<std::string>());
  CHECK(http_call(c.port(), "POST", "/api/v1/chat/sessions/extend", {{"Authorization", "Bearer nope"}}).status == 401);
  CHECK(http_call(c.port(), "POST", "/api/v1/chat/sessions/extend", {{"Authorization", auth[0].second}, {"Origin", "http://evil.test"}})
            .status == 403);
  auto const bad = http_call(c.port(), "POST", "/api/v1/chat/sessions", {{"Origin", c.origin}}, R"({"lang":"fr"})");
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["invalid-params"][0]["name"] == "lang");
  CHECK(http_call(c.port(), "POST", "/api/v1/chat/sessions", {{"Origin", c.origin}}, R"({"needs":["x"]})").status == 400);
  // A cross-origin page that is allowed gets CORS headers for itself only.
  auto const preflight = http_call(c.port(), "OPTIONS", "/api/v1/chat/sessions", {{"Origin", c.origin}});
  CHECK(preflight.status == 204);
  CHECK(preflight.headers.at("access-control-allow-origin") == c.origin);
}

TEST_CASE("when the chat is closed: sessions and sockets are refused, a left message becomes a case with the chosen address") {
  chat_stack c(json{{"channels", {{"webchat", {{"enabled", false}, {"closed_notice", "De chat is vandaag gesloten."}}}}}});
  auto const status = json::parse(http_call(c.port(), "GET", "/api/v1/chat/status").body);
  CHECK(status["open"] == false);
  CHECK(status["notice"] == "De chat is vandaag gesloten.");
  auto const refused = http_call(c.port(), "POST", "/api/v1/chat/sessions", {{"Origin", c.origin}}, "{}");
  CHECK(refused.status == 503);
  CHECK(json::parse(refused.body)["type"].get<std::string>().ends_with("chat-closed"));
  CHECK(ws_client(c.port(), c.origin).refused_status() == 503);

  auto leave = [&](json body) { return http_call(c.port(), "POST", "/api/v1/chat/leave-message", {{"Origin", c.origin}}, body.dump()); };
  CHECK(leave({{"text", ""}, {"reply", {{"channel", "email"}, {"address", "j.jansen@gemeente.test"}}}}).status == 400);
  auto bad = leave({{"text", "Hallo"}, {"reply", {{"channel", "email"}, {"address", "geen-adres"}}}});
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["invalid-params"][0]["name"] == "reply.address");
  CHECK(leave({{"text", "Hallo"}, {"reply", {{"channel", "fax"}, {"address", "1"}}}}).status == 400);
  auto const ok = leave({{"text", "Kunt u mij terugbellen?"}, {"name", "Jan Jansen"}, {"needs", {"callback"}},
                         {"reply", {{"channel", "sms"}, {"address", "06 00000000"}}}});
  REQUIRE(ok.status == 202);
  auto const reference = json::parse(ok.body)["reference"].get<std::string>();
  auto const list = json::parse(http_call(c.port(), "GET", "/api/v1/inboxes/algemeen/cases", staff()).body)["cases"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["reference"] == reference);
  auto const view = json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + list[0]["id"].get<std::string>(), staff()).body);
  CHECK(view["reply_options"][0] == json{{"channel", "sms"}, {"address", "+31600000000"}, {"default", true}, {"enabled", true}});
  CHECK(view["messages"][0]["resident"]["needs"] == json::array({"callback"}));
  CHECK(schema_errors({view["messages"][0]}) == "");
}

TEST_CASE("a resident's client that stops reading is closed with 1013 and resumes from where it was") {
  chat_stack c(json{{"channels", {{"webchat", {{"max_pending_frames", 4}, {"slow_reader_seconds", 1}}}}}});
  auto const session = c.new_session();
  std::string const token = session["token"];
  auto ws = c.connect(token);
  REQUIRE(ws->send(message("s", "Hallo").dump()));
  REQUIRE(c.next(*ws)["type"] == "ack");
  REQUIRE(c.next(*ws)["seq"] == 1);
  auto const case_id = c.case_of(session["conversation_id"]);
  // Large replies while the client reads nothing: the kernel's buffers fill, then balied's queue,
  // until balied gives up on the reader.
  std::string const big(19'000, 'x');
  int replies = 0;
  std::size_t checked = 0;  // log lines looked at: each poll reads only the new ones
  bool slow_reader = false;
  while (replies < 2000 && !(slow_reader = c.s.balied->logged_since("webchat.slow_reader", checked))) c.staff_reply(case_id, big), ++replies;
  REQUIRE(slow_reader);
  std::int64_t last = 1;
  for (;;) {
    auto const f = ws->receive();
    if (!f) break;
    last = json::parse(*f)["seq"];
  }
  CHECK(ws->close_code() == 1013);
  CHECK(last < replies + 1);
  // Resuming gets every reply after the last one seen, in order (or, past 500, the advice to reload).
  auto again = c.connect(token, last);
  if (replies + 1 - last > 500) {
    CHECK(c.next(*again)["type"] == "resync");
    auto const history = json::parse(http_call(c.port(), "GET", "/api/v1/chat/history",
                                               {{"Authorization", "Bearer " + token}}).body);
    CHECK(history["last_seq"] == replies + 1);
    CHECK(history["messages"].size() == static_cast<std::size_t>(replies + 1));
  } else {
    for (auto seq = last + 1; seq <= replies + 1; ++seq) REQUIRE(c.next(*again)["seq"] == seq);
  }
}

TEST_CASE("two different left messages are two cases with their own references (no dedup against the first)") {
  chat_stack c;
  auto leave = [&](std::string const& text, std::string const& address) {
    auto const r = http_call(c.port(), "POST", "/api/v1/chat/leave-message", {{"Origin", c.origin}},
                             json{{"text", text}, {"reply", {{"channel", "email"}, {"address", address}}}}.dump());
    REQUIRE(r.status == 202);
    return json::parse(r.body)["reference"].get<std::string>();
  };
  auto const first = leave("Mijn container is kapot.", "jan@burger.test");
  auto const second = leave("Wanneer wordt het grofvuil opgehaald?", "piet@burger.test");
  CHECK(first != second);
  auto const list = json::parse(http_call(c.port(), "GET", "/api/v1/inboxes/algemeen/cases", staff()).body)["cases"];
  REQUIRE(list.size() == 2);
  std::set<std::string> texts;
  for (auto const& k : list)
    texts.insert(json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + k["id"].get<std::string>(), staff()).body)["messages"][0]["text"]);
  CHECK(texts == std::set<std::string>{"Mijn container is kapot.", "Wanneer wordt het grofvuil opgehaald?"});
}

TEST_CASE("a session that ended is not brought back: the open socket gets 4408, extend answers 401, no key is recreated") {
  chat_stack c;
  auto const session = c.new_session();
  std::string const token = session["token"];
  auto ws = c.connect(token);
  auto const key = "balie:chat:session:" + sha256_hex(token);
  REQUIRE(c.s.redis.integer({"EXISTS", key}) == 1);
  c.s.redis.command({"DEL", key});  // the session's time ran out while the socket stayed open
  REQUIRE(ws->send(message("late", "Ben ik er nog?").dump()));
  CHECK(!ws->receive(std::chrono::seconds(10)));
  CHECK(ws->close_code() == 4408);
  CHECK(c.s.redis.integer({"EXISTS", key}) == 0);
  header_list const auth = {{"Authorization", "Bearer " + token}, {"Origin", c.origin}};
  CHECK(http_call(c.port(), "POST", "/api/v1/chat/sessions/extend", auth).status == 401);
  CHECK(c.s.redis.integer({"EXISTS", key}) == 0);
  CHECK(c.case_of(session["conversation_id"]).empty());  // nothing landed in a case no one can open

  // A session whose end has passed (its key not yet gone) is not extended either.
  auto const other = c.new_session();
  auto const other_key = "balie:chat:session:" + sha256_hex(other["token"].get<std::string>());
  c.s.redis.command({"HSET", other_key, "expires_at", "1"});
  header_list const other_auth = {{"Authorization", "Bearer " + other["token"].get<std::string>()}, {"Origin", c.origin}};
  CHECK(http_call(c.port(), "POST", "/api/v1/chat/sessions/extend", other_auth).status == 401);
  CHECK(c.s.redis.command({"HGET", other_key, "expires_at"}) == "1");
}

TEST_CASE("names lose control and bidi characters in chat sessions and left messages") {
  chat_stack c;
  auto const session = c.new_session({{"lang", "nl"}, {"name", "Jan\u202E\u2066 Jansen\t\u0007"}});
  auto ws = c.connect(session["token"]);
  REQUIRE(ws->send(message("n-1", "Hallo").dump()));
  REQUIRE(c.next(*ws)["type"] == "ack");
  auto const case_id = c.case_of(session["conversation_id"]);
  REQUIRE(!case_id.empty());
  auto const view = json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + case_id, staff()).body);
  CHECK(view["messages"][0]["resident"]["name"] == "Jan Jansen");

  auto const left = http_call(c.port(), "POST", "/api/v1/chat/leave-message", {{"Origin", c.origin}},
                              json{{"text", "Hallo"}, {"name", "\u200FPiet\r\nBcc: x"}, {"reply", {{"channel", "email"}, {"address", "piet@burger.test"}}}}.dump());
  REQUIRE(left.status == 202);
  bool found = false;
  auto const cases = json::parse(http_call(c.port(), "GET", "/api/v1/inboxes/algemeen/cases", staff()).body);
  for (auto const& k : cases["cases"]) {
    auto const v = json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + k["id"].get<std::string>(), staff()).body);
    if (v["messages"][0]["resident"].value("name", "") == "Piet Bcc: x") found = true;
  }
  CHECK(found);
  auto const bad = http_call(c.port(), "POST", "/api/v1/chat/sessions", {{"Origin", c.origin}}, json{{"name", std::string(201, 'a')}}.dump());
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["invalid-params"][0]["name"] == "name");
}

TEST_CASE("anonymous endpoints have a per-address share: new sessions and left messages beyond it get 429 with Retry-After") {
  chat_stack c(json{{"channels", {{"webchat", {{"sessions_per_address", 3}, {"leave_messages_per_address", 2}}}}}});
  header_list const browser{{"Origin", c.origin}, {"Content-Type", "application/json"}};
  for (int i = 0; i < 3; ++i) CHECK(http_call(c.port(), "POST", "/api/v1/chat/sessions", browser, "{}").status == 201);
  auto const refused = http_call(c.port(), "POST", "/api/v1/chat/sessions", browser, "{}");
  CHECK(refused.status == 429);
  CHECK(std::stoi(refused.headers.at("retry-after")) >= 1);
  CHECK(json::parse(refused.body)["type"] == "urn:balie:problem:too-many-requests");

  auto const leave = [&] {
    return http_call(c.port(), "POST", "/api/v1/chat/leave-message", browser,
                     json{{"text", "Bel mij."}, {"reply", {{"channel", "email"}, {"address", "jan@burger.test"}}}}.dump());
  };
  // Invalid requests do not use up the share of a resident who is still filling in the form.
  for (int i = 0; i < 3; ++i)
    CHECK(http_call(c.port(), "POST", "/api/v1/chat/leave-message", browser, R"({"text":"Bel mij."})").status == 400);
  CHECK(leave().status == 202);
  CHECK(leave().status == 202);
  CHECK(leave().status == 429);
  CHECK(c.s.inbox_length("algemeen") == 2);
}

TEST_CASE("the first message of a new chat case gets the acknowledgement in the chat, from the system: the reference, the answer-by day and the human route") {
  chat_stack c(json{{"channels", {{"webchat", {{"acknowledge", true}}}}}});
  auto const session = c.new_session();
  std::string const token = session["token"], conversation = session["conversation_id"];
  auto ws = c.connect(token);
  REQUIRE(ws->send(message("m-1", "Mijn container is kapot.").dump()));
  CHECK(c.next(*ws)["type"] == "ack");
  CHECK(c.next(*ws)["seq"] == 1);  // its own message
  auto const told = c.next(*ws);
  CHECK(told["type"] == "msg");
  CHECK(told["seq"] == 2);
  CHECK(told["from"] == "system");  // Balie's own words, never presented as a member of staff
  auto const text = told["text"].get<std::string>();
  auto const case_id = c.case_of(conversation);
  auto const view = json::parse(http_call(c.port(), "GET", "/api/v1/cases/" + case_id, staff()).body);
  CHECK(text.find(view["reference"].get<std::string>()) != std::string::npos);
  CHECK(text.find("U krijgt uiterlijk ") != std::string::npos);
  CHECK(text.find("Bel 14") != std::string::npos);
  REQUIRE(view["messages"].size() == 2);
  CHECK(view["messages"][1]["auto_generated"] == true);
  CHECK(view["messages"][1]["routing"]["rule"] == "acknowledgement");
  CHECK(view["answer_by"].is_string());
  // The next message joins the case: no second acknowledgement.
  REQUIRE(ws->send(message("m-2", "Hij staat aan de straat.").dump()));
  CHECK(c.next(*ws)["type"] == "ack");
  auto const echo = c.next(*ws);  // its own message
  CHECK(echo["seq"] == 3);
  CHECK(echo["from"] == "resident");
  auto const extra = ws->receive(std::chrono::milliseconds(500));
  CHECK_MESSAGE(!extra, *extra);
}
