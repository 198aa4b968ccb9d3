// Admins switch channels on and off at run time, against a real balied and
// Redis: who may, what a switch needs (a reason; a notice in Dutch before
// English), what it does (phone still takes transcripts of calls that
// happened; web chat shows the admin's notice; replies wait as `held`),
// the history of unavailable periods, the audit line, the guard that keeps
// the last resident channel on, and Redis as the one source of truth (the
// config file seeds it once; a changed file is an operator's change); the
// routing rules, kept the same way, replaced by admins as a whole.
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>

#include <csignal>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

header_list as(char const* token) { return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}; }

http_reply put_switch(std::uint16_t port, std::string const& channel, json const& body, char const* token = admin_token) {
  return http_call(port, "PUT", "/api/v1/channels/" + channel, as(token), body.dump());
}

unsigned transcript(std::uint16_t port, std::string const& call_id) {
  return http_call(port, "POST", "/api/v1/transcripts", as(system_token),
                   json{{"call_id", call_id}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}.dump())
      .status;
}

json channel(std::uint16_t port, std::string const& name) {
  auto const r = http_call(port, "GET", "/api/v1/channels", as(admin_token));
  REQUIRE(r.status == 200);
  auto const all = json::parse(r.body);  // not a range-for over a member of a temporary
  for (auto const& c : all["channels"])
    if (c["name"] == name) return c;
  return {};
}

std::string invalid_param(http_reply const& r) {
  auto const j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("invalid-params") || j["invalid-params"].empty()) return {};
  return j["invalid-params"][0]["name"];
}

} // namespace

TEST_CASE("only admins see and switch channels") {
  test_stack s;
  CHECK(http_call(s.port(), "GET", "/api/v1/channels").status == 401);
  CHECK(http_call(s.port(), "GET", "/api/v1/channels", as(staff_token)).status == 403);
  CHECK(http_call(s.port(), "GET", "/api/v1/channels", as(system_token)).status == 403);
  json const off = {{"enabled", false}, {"reason", "Onderhoud"}};
  CHECK(put_switch(s.port(), "phone", off, staff_token).status == 403);
  CHECK(put_switch(s.port(), "phone", off, system_token).status == 403);
  CHECK(http_call(s.port(), "GET", "/api/v1/channels/phone/history", as(staff_token)).status == 403);
  auto const list = http_call(s.port(), "GET", "/api/v1/channels", as(admin_token));
  REQUIRE(list.status == 200);
  auto const channels = json::parse(list.body)["channels"];
  REQUIRE(channels.size() == 2);  // this configuration has no email
  CHECK(channels[0]["name"] == "phone");
  CHECK(channels[0]["enabled"] == true);
  CHECK(channels[0]["changed_by"] == "config");
  CHECK(channels[1]["name"] == "webchat");
}

TEST_CASE("a switched-off phone channel still takes transcripts of calls that happened; the history shows the period, the audit who and why") {
  test_stack s;
  CHECK(transcript(s.port(), "kcc-voor") == 202);
  auto const off = put_switch(s.port(), "phone", {{"enabled", false}, {"reason", "Storing bij de telefooncentrale"},
                                                  {"notice", {{"nl", "Bellen kan even niet. Mail of chat met ons."}}}});
  REQUIRE(off.status == 200);
  CHECK(json::parse(off.body)["enabled"] == false);
  // Off concerns new calls: the record of a call that already happened is never refused.
  CHECK(transcript(s.port(), "kcc-tijdens") == 202);
  auto const now = channel(s.port(), "phone");
  CHECK(now["enabled"] == false);
  CHECK(now["reason"] == "Storing bij de telefooncentrale");
  CHECK(now["notice"]["nl"] == "Bellen kan even niet. Mail of chat met ons.");
  CHECK(now["changed_by"] == "demo-admin");
  // Switched off is not broken: its health is its own, and it counts what it took in.
  CHECK(now["health"]["state"] == "up");
  CHECK(now["health"]["since"].is_string());
  CHECK(now["counters"]["in"] == 2);
  CHECK(now["counters"]["out"] == 0);
  CHECK(json::parse(http_call(s.port(), "GET", "/readyz").body)["health"]["phone"] == "up");
  CHECK(json::parse(http_call(s.port(), "GET", "/readyz").body)["channels"]["phone"] == "disabled");
  auto const metrics = http_call(s.port(), "GET", "/metrics").body;
  CHECK(metrics.find("balie_channel_enabled{channel=\"phone\"} 0\n") != std::string::npos);
  CHECK(metrics.find("balie_channel_enabled{channel=\"webchat\"} 1\n") != std::string::npos);
  CHECK(metrics.find("balie_channel_up{channel=\"phone\"} 1\n") != std::string::npos);

  auto history = json::parse(http_call(s.port(), "GET", "/api/v1/channels/phone/history", as(admin_token)).body);
  REQUIRE(history["unavailable"].size() == 1);
  CHECK(history["unavailable"][0]["to"].is_null());  // still off
  CHECK(history["unavailable"][0]["reason"] == "Storing bij de telefooncentrale");

  REQUIRE(put_switch(s.port(), "phone", {{"enabled", true}, {"reason", "Storing verholpen"}}).status == 200);
  CHECK(transcript(s.port(), "kcc-na") == 202);
  history = json::parse(http_call(s.port(), "GET", "/api/v1/channels/phone/history", as(admin_token)).body);
  REQUIRE(history["changes"].size() == 2);
  REQUIRE(history["unavailable"].size() == 1);
  CHECK(history["unavailable"][0]["to"] == history["changes"][1]["at"]);

  auto const audit = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  CHECK(std::find(audit.begin(), audit.end(), "channel.off") != audit.end());
  CHECK(std::find(audit.begin(), audit.end(), "channel.on") != audit.end());
  CHECK(std::find(audit.begin(), audit.end(), "Storing bij de telefooncentrale") != audit.end());
  CHECK(std::find(audit.begin(), audit.end(), "demo-admin") != audit.end());
}

TEST_CASE("the last channel residents can use stays on: switching it off is refused with 409 and changes nothing") {
  test_stack s;
  REQUIRE(put_switch(s.port(), "phone", {{"enabled", false}, {"reason", "Onderhoud"}}).status == 200);
  auto const refused = put_switch(s.port(), "webchat", {{"enabled", false}, {"reason", "Onderhoud"}});
  CHECK(refused.status == 409);
  CHECK(json::parse(refused.body)["type"].get<std::string>().ends_with("last-channel"));
  CHECK(channel(s.port(), "webchat")["enabled"] == true);
  auto const history = json::parse(http_call(s.port(), "GET", "/api/v1/channels/webchat/history", as(admin_token)).body);
  CHECK(history["changes"].empty());
  // With the phone back on, the chat may go off.
  REQUIRE(put_switch(s.port(), "phone", {{"enabled", true}, {"reason", "Klaar"}}).status == 200);
  CHECK(put_switch(s.port(), "webchat", {{"enabled", false}, {"reason", "Onderhoud"}}).status == 200);
}

TEST_CASE("a switch that is not well-formed is refused with the field named, and changes nothing") {
  test_stack s;
  auto check = [&](json const& body, std::string const& field) {
    auto const r = put_switch(s.port(), "phone", body);
    CHECK_MESSAGE(r.status == 400, body.dump());
    CHECK_MESSAGE(invalid_param(r) == field, body.dump() << " → " << r.body);
  };
  check({{"reason", "x"}}, "enabled");
  check({{"enabled", "nee"}, {"reason", "x"}}, "enabled");
  check({{"enabled", false}}, "reason");
  check({{"enabled", false}, {"reason", 5}}, "reason");
  check({{"enabled", false}, {"reason", ""}}, "reason");
  check({{"enabled", false}, {"reason", std::string(600, 'x')}}, "reason");
  check({{"enabled", false}, {"reason", "x"}, {"notice", "tekst"}}, "notice");
  check({{"enabled", false}, {"reason", "x"}, {"notice", {{"nl", 5}}}}, "notice.nl");
  check({{"enabled", false}, {"reason", "x"}, {"notice", {{"en", "Phone is down."}}}}, "notice.nl");
  CHECK(http_call(s.port(), "PUT", "/api/v1/channels/phone", as(admin_token), "geen json").status == 400);
  CHECK(put_switch(s.port(), "fax", {{"enabled", false}, {"reason", "x"}}).status == 404);
  CHECK(put_switch(s.port(), "sms", {{"enabled", false}, {"reason", "x"}}).status == 404);  // not configured here
  CHECK(channel(s.port(), "phone")["enabled"] == true);
  CHECK(transcript(s.port(), "kcc-nog-aan") == 202);
}

TEST_CASE("Redis is the one source of truth: the file seeds a channel once; a changed file is an operator's change") {
  test_stack s;
  REQUIRE(put_switch(s.port(), "phone", {{"enabled", false}, {"reason", "Onderhoud"}}).status == 200);
  // A restart with the file still saying "on" keeps what the admin decided.
  s.balied->process().signal_and_wait(SIGTERM);
  s.balied = std::make_unique<balied_process>(balied_options{s.redis.socket(), s.dir.path});
  REQUIRE(s.balied->wait_for_event("channel.applied"));
  CHECK(channel(s.port(), "phone")["enabled"] == false);
  CHECK(json::parse(http_call(s.port(), "GET", "/readyz").body)["channels"]["phone"] == "disabled");
  // The operator edits the file (on → off → on) and reloads: that is a change, recorded as the config's.
  s.balied->rewrite_config({{"channels", {{"phone", {{"enabled", false}}}}}});
  s.balied->process().send_signal(SIGHUP);
  REQUIRE(s.balied->wait_for_event("reload.channel"));
  s.balied->rewrite_config(json::object());
  s.balied->process().send_signal(SIGHUP);
  REQUIRE(s.balied->wait_for_event("reload.channel", 2));
  auto const now = channel(s.port(), "phone");
  CHECK(now["enabled"] == true);
  CHECK(now["changed_by"] == "config");
  CHECK(transcript(s.port(), "kcc-na-reload") == 202);
}

TEST_CASE("while web chat is off, residents see the admin's notice and staff replies wait as held; on again, they are delivered") {
  test_stack s;
  header_list const resident = {{"Content-Type", "application/json"}};
  auto const session = json::parse(http_call(s.port(), "POST", "/api/v1/chat/sessions", resident, "{}").body);
  header_list const chat = {{"Authorization", "Bearer " + session["token"].get<std::string>()}, {"Content-Type", "application/json"}};
  REQUIRE(http_call(s.port(), "POST", "/api/v1/chat/messages", chat, json{{"client_id", "m1"}, {"text", "Mijn container is niet geleegd."}}.dump())
              .status == 202);
  std::string case_id;
  REQUIRE(eventually([&] {
    auto const list = json::parse(http_call(s.port(), "GET", "/api/v1/inboxes/algemeen/cases", as(staff_token)).body);
    if (list["cases"].empty()) return false;
    case_id = list["cases"][0]["id"];
    return true;
  }));

  REQUIRE(put_switch(s.port(), "webchat", {{"enabled", false}, {"reason", "Onderhoud"},
                                           {"notice", {{"nl", "De chat is even uit. Bel ons op 14 020."}, {"en", "Chat is off for now."}}}})
              .status == 200);
  auto const status = json::parse(http_call(s.port(), "GET", "/api/v1/chat/status").body);
  CHECK(status["open"] == false);
  CHECK(status["notice"] == "De chat is even uit. Bel ons op 14 020.");
  CHECK(status["notice_en"] == "Chat is off for now.");
  CHECK(http_call(s.port(), "POST", "/api/v1/chat/sessions", resident, "{}").status == 503);

  auto const reply = http_call(s.port(), "POST", "/api/v1/cases/" + case_id + "/replies", as(staff_token), json{{"text", "We komen morgen."}}.dump());
  REQUIRE(reply.status == 202);
  auto const message_id = json::parse(reply.body)["message"]["id"].get<std::string>();
  CHECK(json::parse(reply.body)["message"]["delivery"]["status"] == "held");
  auto const delivery = [&] {
    auto const view = json::parse(http_call(s.port(), "GET", "/api/v1/cases/" + case_id, as(staff_token)).body);
    for (auto const& m : view["messages"])
      if (m["id"] == message_id) return m["delivery"]["status"].get<std::string>();
    return std::string{};
  };
  auto const view = json::parse(http_call(s.port(), "GET", "/api/v1/cases/" + case_id, as(staff_token)).body);
  REQUIRE(view["reply_options"].size() == 1);
  CHECK(view["reply_options"][0]["channel"] == "webchat");
  CHECK(view["reply_options"][0]["enabled"] == false);  // staff are told, and can choose another way
  CHECK(delivery() == "held");
  CHECK(s.redis.integer({"XLEN", queue::keys::outbound("webchat")}) == 1);  // waiting in the outbox, not lost

  REQUIRE(put_switch(s.port(), "webchat", {{"enabled", true}, {"reason", "Klaar"}}).status == 200);
  CHECK(eventually([&] { return delivery() == "sent"; }));
  auto const history = json::parse(http_call(s.port(), "GET", "/api/v1/chat/history", chat).body);
  CHECK(history["messages"].back()["text"] == "We komen morgen.");
  auto const counted = channel(s.port(), "webchat")["counters"];
  CHECK(counted["in"] == 1);
  CHECK(counted["out"] == 1);
  CHECK(http_call(s.port(), "GET", "/metrics").body.find("balie_replies_sent_total{channel=\"webchat\"} 1\n") != std::string::npos);
  CHECK(json::parse(http_call(s.port(), "GET", "/api/v1/cases/" + case_id, as(staff_token)).body)["reply_options"][0]["enabled"] == true);
}

TEST_CASE("admins test a sample message against the routing rules in force; a message then lands where the test said") {
  json const rules = json::array({{{"name", "vergunning"}, {"match", {{"words", {"vergunning", "parkeervergunning"}}}}, {"inbox", "vergunningen"},
                                   {"priority", "high"}, {"topic", "vergunningen"}}});
  test_stack s(json{{"routing", {{"rules", rules}}}});
  auto const test = [&](json const& sample, char const* token = admin_token) {
    return http_call(s.port(), "POST", "/api/v1/routing/test", as(token), sample.dump());
  };
  auto const hit = test({{"channel", "email"}, {"subject", "Vraag over mijn Parkeervergunningen"}});
  REQUIRE(hit.status == 200);
  CHECK(json::parse(hit.body) == json{{"inbox", "vergunningen"}, {"priority", "high"}, {"topic", "vergunningen"}, {"rule", "vergunning"}});
  CHECK(json::parse(test({{"channel", "phone"}, {"text", "Hallo"}}).body)["rule"] == "channel:phone");
  CHECK(json::parse(test({{"channel", "webchat"}, {"text", "Hallo"}}).body)["rule"] == "default");
  CHECK(test({{"channel", "fax"}}).status == 400);
  CHECK(test({{"channel", "email"}, {"needs", {"telepathy"}}}).status == 400);
  CHECK(test({{"channel", "email"}, {"tekst", "x"}}).status == 400);
  CHECK(test({{"channel", "email"}}, staff_token).status == 403);

  // A transcript about a permit lands where the test said, with the rule and topic on the case-message.
  auto const r = http_call(s.port(), "POST", "/api/v1/transcripts", as(system_token),
                           json{{"call_id", "route-1"}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1},
                                                                        {"text", "Ik bel over mijn vergunning."}}}}}
                               .dump());
  REQUIRE(r.status == 202);
  CHECK(json::parse(r.body)["inbox"] == "vergunningen");
  auto const entries = s.redis.list({"XRANGE", queue::keys::inbox_stream("vergunningen"), "-", "+"});
  REQUIRE(entries.size() == 5);
  auto const m = json::parse(entries[4]);
  CHECK(m["routing"] == json{{"inbox", "vergunningen"}, {"priority", "high"}, {"topic", "vergunningen"}, {"rule", "vergunning"}});
}

namespace {

/// The inbox a transcript saying `text` lands in: where routing put it, as balied answered.
std::string lands_in(std::uint16_t port, std::string const& call_id, std::string const& text) {
  auto const r = http_call(port, "POST", "/api/v1/transcripts", as(system_token),
                           json{{"call_id", call_id}, {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", text}}}}}.dump());
  REQUIRE(r.status == 202);
  return json::parse(r.body)["inbox"];
}

} // namespace

TEST_CASE("the rules live in Redis: seeded from the file, replaced by an admin as a whole, a broken set refused with its key while the old rules stay") {
  json const permits = json::array({{{"name", "vergunning"}, {"match", {{"words", {"vergunning"}}}}, {"inbox", "vergunningen"}}});
  test_stack s(json{{"routing", {{"rules", permits}}}});
  auto const in_force = [&] { return json::parse(http_call(s.port(), "GET", "/api/v1/routing", as(admin_token)).body); };
  REQUIRE(eventually([&] { return in_force()["version"] == 1; }));
  CHECK(in_force()["changed_by"] == "config");
  CHECK(in_force()["rules"] == 1);
  CHECK(http_call(s.port(), "GET", "/api/v1/routing", as(staff_token)).status == 403);
  CHECK(lands_in(s.port(), "r-1", "Over mijn vergunning") == "vergunningen");

  // A set naming an inbox that does not exist: refused with the rule's key and reason; nothing changes.
  json broken = in_force()["routing"];
  broken["rules"] = json::array({{{"name", "afval"}, {"match", {{"words", {"afval"}}}}, {"inbox", "afval"}}});
  auto const refused = http_call(s.port(), "PUT", "/api/v1/routing", as(admin_token), json{{"routing", broken}, {"reason", "Afvalteam"}}.dump());
  CHECK(refused.status == 400);
  CHECK(invalid_param(refused) == "routing/rules/0/inbox");
  CHECK(json::parse(refused.body)["invalid-params"][0]["reason"] == "names no inbox in /inboxes");
  CHECK(http_call(s.port(), "POST", "/api/v1/routing/check", as(admin_token), json{{"routing", broken}}.dump()).status == 400);
  CHECK(in_force()["version"] == 1);
  CHECK(lands_in(s.port(), "r-2", "Over mijn vergunning") == "vergunningen");
  CHECK(http_call(s.port(), "PUT", "/api/v1/routing", as(admin_token), json{{"routing", broken}}.dump()).status == 400);  // no reason
  // Hostile shapes: each refused with the field named, nothing changes.
  auto const put_raw = [&](std::string const& body) { return http_call(s.port(), "PUT", "/api/v1/routing", as(admin_token), body); };
  CHECK(put_raw("[]").status == 400);
  CHECK(put_raw("{\"routing\": ").status == 400);
  CHECK(invalid_param(put_raw(json{{"routing", in_force()["routing"]}, {"reason", "x"}, {"force", true}}.dump())) == "force");
  CHECK(invalid_param(put_raw(json{{"routing", "algemeen"}, {"reason", "x"}}.dump())) == "routing");
  CHECK(invalid_param(put_raw(json{{"routing", {{"default_inbox", "algemeen"}, {"rules", "alles"}}}, {"reason", "x"}}.dump())) == "routing/rules");
  CHECK(invalid_param(put_raw(json{{"routing", {{"default_inbox", 7}}}, {"reason", "x"}}.dump())) == "routing/default_inbox");
  CHECK(invalid_param(put_raw(json{{"routing", {{"default_inbox", "algemeen"}, {"rules", {{{"name", "x"}, {"match", {{"arrival", {{"from", "25:00"}, {"until", "07:00"}}}}}, {"inbox", "algemeen"}}}}}},
                               {"reason", "x"}}.dump())) == "routing/rules/0/match/arrival/from");
  CHECK(http_call(s.port(), "POST", "/api/v1/routing/test", as(admin_token), json{{"channel", "sms"}, {"received_at", "gisteren"}}.dump()).status == 400);
  CHECK(http_call(s.port(), "PUT", "/api/v1/routing", as(staff_token), json{{"routing", broken}, {"reason", "x"}}.dump()).status == 403);
  CHECK(in_force()["version"] == 1);

  // A good set: tried first (with the set sent along), checked, then put in force and audited.
  json next = in_force()["routing"];
  next["rules"] = json::array({{{"name", "telefoon-vergunning"}, {"match", {{"words", {"vergunning"}}}}, {"inbox", "telefoon"}, {"topic", "vergunningen"}}});
  auto const tried = http_call(s.port(), "POST", "/api/v1/routing/test", as(admin_token),
                               json{{"channel", "phone"}, {"text", "Mijn vergunningen"}, {"routing", next}}.dump());
  CHECK(json::parse(tried.body)["rule"] == "telefoon-vergunning");
  auto const checked = http_call(s.port(), "POST", "/api/v1/routing/check", as(admin_token), json{{"routing", next}}.dump());
  CHECK(checked.status == 200);
  CHECK(json::parse(checked.body)["rules"] == 1);
  CHECK(lands_in(s.port(), "r-3", "Over mijn vergunning") == "vergunningen");  // trying and checking changed nothing
  auto const put = http_call(s.port(), "PUT", "/api/v1/routing", as(admin_token), json{{"routing", next}, {"reason", "Vergunningen per telefoon"}}.dump());
  REQUIRE(put.status == 200);
  CHECK(json::parse(put.body)["version"] == 2);
  CHECK(json::parse(put.body)["changed"] == true);
  CHECK(lands_in(s.port(), "r-4", "Over mijn vergunning") == "telefoon");
  CHECK(in_force()["changed_by"] == "demo-admin");
  auto const again = http_call(s.port(), "PUT", "/api/v1/routing", as(admin_token), json{{"routing", next}, {"reason", "Nog eens"}}.dump());
  CHECK(json::parse(again.body)["changed"] == false);
  CHECK(json::parse(again.body)["version"] == 2);
  bool audited = false;
  for (auto const& e : s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"})) audited = audited || e == "routing.changed";
  CHECK(audited);
  CHECK(s.redis.integer({"XLEN", std::string(queue::keys::routing_history)}) == 2);

  // Redis decides after a restart: the file's set does not come back.
  s.balied.reset();
  s.balied = std::make_unique<balied_process>(balied_options{s.redis.socket(), s.dir.path, json{{"routing", {{"rules", permits}}}}});
  REQUIRE(eventually([&] { return json::parse(http_call(s.port(), "GET", "/api/v1/routing", as(admin_token)).body)["version"] == 2; }));
  CHECK(lands_in(s.port(), "r-5", "Over mijn vergunning") == "telefoon");
}
