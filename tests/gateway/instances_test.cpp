// Two balied instances on one Redis, as a municipality runs them behind a
// load balancer. What one instance takes in, staff on the other see live, and
// a staff reply given on one reaches a resident connected to the other. A
// reply that an instance holds when it dies is delivered by the other once
// the takeover delay has passed, once: for web chat and for email.
//
// Which instance takes a reply is decided by Redis, so the takeover tests
// make it certain instead of likely. Web chat: instance A is frozen (SIGSTOP)
// while its sender waits in a blocking XREADGROUP; Redis serves blocked
// readers in the order they blocked, so the next reply is A's, and the test
// checks that it is before killing A. Email: A's relay is unreachable, so A
// holds the reply in backoff when it is killed; B starts afterwards.
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/mail_servers.hpp"
#include "tests/support/ws_client.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <sstream>
#include <thread>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

header_list staff() { return {{"Authorization", "Bearer staff-demo-token"}, {"Content-Type", "application/json"}}; }

/// One `name=value` field of a CLIENT LIST line.
std::string field(std::string const& client_list_line, std::string const& name) {
  auto const line = " " + client_list_line;
  auto const at = line.find(" " + name + "=");
  if (at == std::string::npos) return {};
  auto const from = at + name.size() + 2;
  return line.substr(from, line.find(' ', from) - from);
}

/// One Redis; instances are added one by one, each in a folder of its own.
struct shared_redis {
  temp_dir dir;
  redis_server redis{dir.path / "redis"};
  shared_redis() { redis.start(); }

  std::unique_ptr<balied_process> instance(std::string const& name, json overrides = json::object()) {
    auto const folder = dir.path / name;
    std::filesystem::create_directories(folder);
    return std::make_unique<balied_process>(balied_options{redis.socket(), folder, std::move(overrides)});
  }

  /// The consumer holding each pending entry of a channel's outbox.
  std::vector<std::string> holders(std::string const& channel) {
    auto const flat = redis.list({"XPENDING", queue::keys::outbound(channel), std::string(queue::keys::senders_group), "-", "+", "100"});
    std::vector<std::string> out;
    for (std::size_t i = 1; i < flat.size(); i += 4) out.push_back(flat[i]);  // id, consumer, idle, deliveries
    return out;
  }

  /// CLIENT LIST lines of connections blocked in XREADGROUP (a sender waiting for replies).
  std::vector<std::string> blocked_readers() {
    std::vector<std::string> out;
    std::istringstream lines(redis.command({"CLIENT", "LIST"}));
    for (std::string line; std::getline(lines, line);)
      if (line.find(" cmd=xreadgroup") != std::string::npos && field(line, "flags").find('b') != std::string::npos) out.push_back(line);
    return out;
  }
};

/// A sender's consumer name in the outbox group: host and process id.
std::string consumer_of(child_process const& p) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(p.pid());
}


/// A resident in the web chat of one instance: a session and a socket past hello.
struct chat_resident {
  std::uint16_t port;
  std::string origin = "http://127.0.0.1:" + std::to_string(port);
  json session;
  std::unique_ptr<ws_client> ws;
  int sent = 0;

  explicit chat_resident(std::uint16_t p) : port(p) {
    auto const r = http_call(port, "POST", "/api/v1/chat/sessions", {{"Origin", origin}, {"Content-Type", "application/json"}},
                             json{{"lang", "nl"}, {"name", "Jan Jansen"}}.dump());
    REQUIRE(r.status == 201);
    session = json::parse(r.body);
    ws = std::make_unique<ws_client>(port, origin);
    REQUIRE(ws->refused_status() == 0);
    REQUIRE(ws->send(json{{"v", 1}, {"type", "hello"}, {"token", session["token"]}, {"last_seq", 0}}.dump()));
    REQUIRE(next()["type"] == "welcome");
  }
  json next() {
    auto const f = ws->receive();
    REQUIRE(f);
    return json::parse(*f);
  }
  /// Sends a message, reads its ack and its echo, and returns the case it joined.
  std::string say(std::string const& text) {
    REQUIRE(ws->send(json{{"v", 1}, {"type", "message"}, {"client_id", "m-" + std::to_string(++sent)}, {"text", text}}.dump()));
    auto const ack = next();
    REQUIRE(ack["type"] == "ack");
    CHECK(next()["seq"] == ack["seq"]);
    std::string const conversation = session["conversation_id"];
    auto const list = json::parse(http_call(port, "GET", "/api/v1/inboxes/algemeen/cases", staff()).body)["cases"];
    for (auto const& c : list) {
      auto const view = json::parse(http_call(port, "GET", "/api/v1/cases/" + c["id"].get<std::string>(), staff()).body);
      for (auto const& o : view["reply_options"])
        if (o["address"] == conversation) return c["id"];
    }
    FAIL("no case holds the conversation");
    return {};
  }
};

json case_view(std::uint16_t port, std::string const& case_id) {
  auto const r = http_call(port, "GET", "/api/v1/cases/" + case_id, staff());
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

std::string delivery_of(json const& view, std::string const& message_id) {
  for (auto const& m : view["messages"])
    if (m["id"] == message_id) return m["delivery"].value("status", "");
  return "";
}

std::string reply(std::uint16_t port, std::string const& case_id, std::string const& text) {
  auto const r = http_call(port, "POST", "/api/v1/cases/" + case_id + "/replies", staff(), json{{"text", text}}.dump());
  REQUIRE(r.status == 202);
  return json::parse(r.body)["message"]["id"];
}

} // namespace

TEST_CASE("staff on one instance see live what the other takes in, and their reply reaches a resident connected to the other") {
  shared_redis r;
  auto a = r.instance("a");
  auto b = r.instance("b");

  stream_reader events(a->port(), "/api/v1/events", staff());
  REQUIRE(events.wait_for(": connected"));
  // A phone transcript arrives at B; staff watching A see it at once.
  auto const posted = http_call(b->port(), "POST", "/api/v1/transcripts",
                                {{"Authorization", "Bearer system-demo-token"}, {"Content-Type", "application/json"}},
                                json{{"call_id", "kcc-twee"}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}.dump());
  REQUIRE(posted.status == 202);
  std::string const phone_case = json::parse(posted.body)["case_id"];
  CHECK(events.wait_for(phone_case));

  // A resident chats with B; staff on A see the message live and answer from A.
  chat_resident jan(b->port());
  auto const chat_case = jan.say("Mijn container is kapot.");
  REQUIRE(!chat_case.empty());
  CHECK(events.wait_for(chat_case));
  auto const reply_id = reply(a->port(), chat_case, "Wij komen morgen langs.");
  auto const msg = jan.next();
  CHECK(msg["type"] == "msg");
  CHECK(msg["from"] == "staff");
  CHECK(msg["text"] == "Wij komen morgen langs.");
  CHECK(events.wait_for("\"status\":\"delivered\""));
  CHECK(delivery_of(case_view(a->port(), chat_case), reply_id) == "delivered");
  CHECK(r.holders("webchat").empty());
}

TEST_CASE("a web-chat reply held by an instance that dies is delivered by the other after the takeover delay, once") {
  shared_redis r;
  // A waits long in each blocking read, so while frozen it stays first in Redis's queue of readers.
  auto a = r.instance("a", {{"outbox", {{"block_ms", 60000}}}});
  std::vector<std::string> readers;
  CHECK(eventually([&] { return (readers = r.blocked_readers()).size() == 1; }));
  REQUIRE_MESSAGE(readers.size() == 1, r.redis.command({"CLIENT", "LIST"}) << [&] { std::string t; for (auto const& l : a->process().lines()) t += l + "\n"; return t; }());
  auto const a_reader = field(readers[0], "id");
  a->process().send_signal(SIGSTOP);

  auto b = r.instance("b", {{"outbox", {{"takeover_after_ms", 1000}, {"block_ms", 100}}}});
  chat_resident jan(b->port());
  auto const case_id = jan.say("Waar kan ik mijn paspoort ophalen?");
  REQUIRE(!case_id.empty());
  auto const reply_id = reply(b->port(), case_id, "Bij de balie in het stadhuis.");
  // The frozen A has taken it: its blocked read was served first.
  auto const held = r.holders("webchat");
  REQUIRE(held.size() == 1);
  CHECK(held[0] == "webchat:" + consumer_of(a->process()));  // not B's consumer
  CHECK(field(r.redis.command({"CLIENT", "LIST", "ID", a_reader}), "id") == a_reader);

  a->process().signal_and_wait(SIGKILL);
  // B takes it over once it has been idle for the takeover delay, and the resident reads it once.
  auto const msg = jan.next();
  CHECK(msg["from"] == "staff");
  CHECK(msg["text"] == "Bij de balie in het stadhuis.");
  CHECK(eventually([&] { return r.holders("webchat").empty(); }));
  CHECK(delivery_of(case_view(b->port(), case_id), reply_id) == "delivered");
  auto const log = r.redis.list({"XRANGE", "balie:chat:{" + jan.session["conversation_id"].get<std::string>() + "}:log", "-", "+"});
  CHECK(std::count(log.begin(), log.end(), "Bij de balie in het stadhuis.") == 1);
  CHECK(!jan.ws->receive(std::chrono::milliseconds(300)));  // nothing further: not delivered twice
}

TEST_CASE("an email reply queued through an instance whose relay is down is sent by the other when the first is killed") {
  REQUIRE_MESSAGE(mail_servers_available(), "needs root and the postfix, dovecot-imapd and swaks packages (scripts/test installs them)");
  shared_redis r;
  int const lmtp_port = free_loopback_port();
  dovecot_server dovecot(r.dir.path / "dovecot", {{"jan", "pw"}});
  postfix_server postfix(r.dir.path / "postfix", postfix_config{.lmtp_port = lmtp_port, .resident_mail_root = dovecot.mail_root(),
                                                                .resident_users = dovecot.user_names()});
  auto email = [](int lmtp, int smtp) {
    return json{{"channels",
                 {{"email",
                   {{"enabled", true},
                    {"domain", "gemeente.test"},
                    {"addresses", {{"info@gemeente.test", "algemeen"}}},
                    {"lmtp", {{"address", "127.0.0.1"}, {"port", lmtp}}},
                    {"smtp", {{"url", "smtp://127.0.0.1:" + std::to_string(smtp)}, {"require_tls", false}, {"retry_initial_seconds", 1},
                              {"timeout_seconds", 2}}},
                    {"acknowledge", {{"enabled", false}}}}}}},
                {"outbox", {{"takeover_after_ms", 2500}, {"block_ms", 100}}}};
  };
  // A's relay is a port where nothing listens.
  auto a = r.instance("a", email(lmtp_port, free_loopback_port()));
  REQUIRE(a->wait_for_event("lmtp.listening"));
  dovecot.start();
  postfix.start();

  child_process swaks;
  swaks.spawn({"swaks", "--server", "127.0.0.1:" + std::to_string(postfix.smtp_port()), "--from", "jan@burger.test", "--to",
               "info@gemeente.test", "--header", "Subject: Lantaarnpaal", "--body", "De lantaarnpaal voor mijn huis is stuk.", "--silent", "1"});
  REQUIRE(swaks.wait() == 0);
  REQUIRE(a->wait_for_event("intake.stored"));
  auto const cases = r.redis.list({"ZRANGE", queue::keys::inbox_open("algemeen"), "0", "-1"});
  REQUIRE(cases.size() == 1);
  REQUIRE(http_call(a->port(), "POST", "/api/v1/cases/" + cases[0] + "/claim", staff()).status == 200);
  auto const reply_id = reply(a->port(), cases[0], "Wij repareren hem deze week.");
  REQUIRE(a->wait_for_event("email.send_deferred"));
  auto const held = r.holders("email");
  REQUIRE(held.size() == 1);
  CHECK(held[0] == "email:" + consumer_of(a->process()));
  a->process().signal_and_wait(SIGKILL);

  auto b = r.instance("b", email(0, postfix.smtp_port()));
  REQUIRE(b->wait_for_event("email.sent"));
  auto const line = postfix.wait_for_delivery("jan@burger.test", mail_server_deadline);
  REQUIRE_MESSAGE(!line.empty(), postfix.log());
  auto const mails = dovecot.messages("jan");
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].find("Wij repareren hem deze week.") != std::string::npos);
  CHECK(mails[0].find(".reply-" + reply_id + "@gemeente.test") != std::string::npos);
  CHECK(eventually([&] { return r.holders("email").empty(); }));
  CHECK(delivery_of(case_view(b->port(), cases[0]), reply_id) == "sent");
}

TEST_CASE("web chat switched off through one instance shows the admin's notice on the other once the event arrives; nothing sent across the switch is lost") {
  shared_redis r;
  auto a = r.instance("a");
  auto b = r.instance("b");
  header_list const admin = {{"Authorization", "Bearer admin-demo-token"}, {"Content-Type", "application/json"}};
  header_list const system = {{"Authorization", "Bearer system-demo-token"}, {"Content-Type", "application/json"}};
  auto const chat_status = [](std::uint16_t port) { return json::parse(http_call(port, "GET", "/api/v1/chat/status").body); };
  // A load generator: transcripts to both instances, one after another, for as long as the switching lasts.
  std::atomic<bool> done{false};
  std::atomic<int> acknowledged{0}, refused{0};
  std::thread load([&] {
    for (int i = 0; !done; ++i) {
      auto const port = i % 2 ? a->port() : b->port();
      auto const status = http_call(port, "POST", "/api/v1/transcripts", system,
                                    json{{"call_id", "kcc-load-" + std::to_string(i)},
                                         {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}
                                        .dump())
                              .status;
      ++(status == 202 ? acknowledged : refused);
    }
  });
  REQUIRE(eventually([&] { return acknowledged > 10; }));
  CHECK(chat_status(b->port())["open"] == true);
  auto const sent = std::chrono::steady_clock::now();
  REQUIRE(http_call(a->port(), "PUT", "/api/v1/channels/webchat", admin,
                    json{{"enabled", false}, {"reason", "Storing"}, {"notice", {{"nl", "De chat is even uit. Bel of mail ons."}, {"en", "Chat is down for now."}}}}
                        .dump())
              .status == 200);
  REQUIRE(b->wait_for_event("channel.applied"));  // the event reached B, which applied it
  MESSAGE("switch applied on the other instance within "
          << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count() << " ms");
  auto const off = chat_status(b->port());
  CHECK(off["open"] == false);
  CHECK(off["notice"] == "De chat is even uit. Bel of mail ons.");
  CHECK(off["notice_en"] == "Chat is down for now.");
  CHECK(http_call(b->port(), "POST", "/api/v1/chat/sessions", {{"Content-Type", "application/json"}}, "{}").status == 503);
  REQUIRE(http_call(b->port(), "PUT", "/api/v1/channels/webchat", admin, json{{"enabled", true}, {"reason", "Opgelost"}}.dump()).status == 200);
  REQUIRE(a->wait_for_event("channel.applied", 2));
  CHECK(chat_status(a->port())["open"] == true);
  CHECK(http_call(a->port(), "POST", "/api/v1/chat/sessions", {{"Content-Type", "application/json"}}, "{}").status == 201);
  done = true;
  load.join();
  // Every transcript an instance acknowledged is stored, once (each call id is new, so none is a duplicate).
  MESSAGE(acknowledged.load() << " transcripts acknowledged across the switch");
  CHECK(refused == 0);
  CHECK(r.redis.integer({"XLEN", queue::keys::inbox_stream("telefoon")}) == acknowledged.load());
}


TEST_CASE("routing rules put in force through one instance route the other's next message once the event arrives") {
  shared_redis r;
  auto a = r.instance("a");
  auto b = r.instance("b");
  header_list const admin = {{"Authorization", "Bearer admin-demo-token"}, {"Content-Type", "application/json"}};
  header_list const system = {{"Authorization", "Bearer system-demo-token"}, {"Content-Type", "application/json"}};
  auto const lands_in = [&](std::uint16_t port, std::string const& call_id) {
    auto const reply = http_call(port, "POST", "/api/v1/transcripts", system,
                                 json{{"call_id", call_id}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}.dump());
    REQUIRE(reply.status == 202);
    return json::parse(reply.body)["inbox"].get<std::string>();
  };
  REQUIRE(b->wait_for_event("routing.applied"));
  CHECK(lands_in(b->port(), "kcc-b1") == "telefoon");
  auto routing = json::parse(http_call(a->port(), "GET", "/api/v1/routing", admin).body)["routing"];
  routing["rules"] = json::array({{{"name", "telefoon-naar-vergunningen"}, {"match", {{"channels", {"phone"}}}}, {"inbox", "vergunningen"}}});
  REQUIRE(http_call(a->port(), "PUT", "/api/v1/routing", admin, json{{"routing", routing}, {"reason", "Drukte bij de KCC"}}.dump()).status == 200);
  REQUIRE(b->wait_for_event("routing.applied", 2));  // B applied the seed (or its own view of it), then the change
  CHECK(lands_in(b->port(), "kcc-b2") == "vergunningen");
  CHECK(json::parse(http_call(b->port(), "GET", "/api/v1/routing", admin).body)["version"] == 2);
}
