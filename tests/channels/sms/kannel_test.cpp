// SMS through a real Kannel (bearerbox, smsbox and fakesmsc, Debian's
// kannel and kannel-extras) from the shipped configuration template, on free
// loopback ports: the on-premises route, no cloud in between. An SMS from
// the operator becomes a case; UCS-2 with an emoji and a two-part
// concatenated SMS arrive whole; a staff reply leaves through sendsms to the
// operator, and the delivery report marks it delivered.
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/kannel.hpp"
#include "tests/support/mail_servers.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

using namespace balie;
using namespace balie::test;
using nlohmann::json;

namespace {
constexpr char const* secret = "kannel-test-secret-1";
constexpr char const* sendsms_password = "kannel-test-sendsms";

std::vector<std::pair<std::string, std::string>> as_staff() {
  return {{"Authorization", std::string("Bearer ") + staff_token}, {"Content-Type", "application/json"}};
}

/// The case whose first message came from `number`; empty when none.
json case_of(std::uint16_t port, std::string const& number) {
  auto const list = json::parse(http_call(port, "GET", "/api/v1/inboxes/algemeen/cases", as_staff()).body);
  for (auto const& c : list["cases"]) {
    auto const v = json::parse(http_call(port, "GET", "/api/v1/cases/" + c["id"].get<std::string>(), as_staff()).body);
    if (v["messages"][0]["resident"]["addresses"][0]["value"] == number) return v;
  }
  return {};
}

/// One operator connection sends `message`; returns once fakesmsc has sent it.
std::unique_ptr<child_process> send_from_operator(kannel_server const& k, std::string const& message) {
  auto op = k.operator_side(message);
  REQUIRE_MESSAGE(op->wait_for_line([](std::string const& l) { return l.find("sent message 1") != std::string::npos; }), "fakesmsc did not send");
  return op;
}
} // namespace

TEST_CASE("real Kannel: SMS in as cases (plain, UCS-2 with emoji, two parts made whole), a reply out through sendsms, delivered") {
  temp_dir dir;
  std::ofstream(dir.path / "kannel.secret") << secret;
  std::ofstream(dir.path / "sendsms.secret") << sendsms_password;
  int const balie_port = free_loopback_port();
  kannel_server kannel(dir.path / "kannel", balie_port, secret, sendsms_password);
  kannel.start();  // first: it may pick new ports while starting; balied is told the final ones
  json const sms = {
      {"enabled", true},
      {"public_base_url", "http://127.0.0.1:" + std::to_string(balie_port)},
      {"acknowledge", false},
      {"send_via", "kannel"},
      {"providers",
       {{"kannel",
         {{"webhook_secret", {{"file", (dir.path / "kannel.secret").string()}}},
          {"send",
           {{"url", "http://127.0.0.1:" + std::to_string(kannel.sendsms_port()) + "/cgi-bin/sendsms"},
            {"account", "balie"},
            {"secret", {{"file", (dir.path / "sendsms.secret").string()}}},
            {"from", "Gemeente"}}}}}}}};
  test_stack s({{"dedup_ttl_hours", 960}, {"http", {{"port", balie_port}}}, {"outbox", {{"block_ms", 100}}}, {"channels", {{"sms", sms}}}});

  auto op = send_from_operator(kannel, "+31600000061 4444 text Hallo gemeente, de stoep is kapot");
  REQUIRE(eventually([&] { return s.inbox_length("algemeen") == 1; }));
  op->signal_and_wait(SIGTERM);
  auto const plain = case_of(s.port(), "+31600000061");
  REQUIRE(plain.is_object());
  CHECK(plain["messages"][0]["text"] == "Hallo gemeente, de stoep is kapot");
  CHECK(plain["messages"][0]["provider"] == "kannel");

  // UCS-2 as the handset sends it (UTF-16BE, an emoji as a surrogate pair), recoded by smsbox.
  op = send_from_operator(kannel, "+31600000062 4444 ucs2 %00H%00o%00i%00%20%D8%3D%DE%00");
  REQUIRE(eventually([&] { return s.inbox_length("algemeen") == 2; }));
  op->signal_and_wait(SIGTERM);
  CHECK(case_of(s.port(), "+31600000062")["messages"][0]["text"] == "Hoi 😀");

  // Two parts with one concatenation reference: Kannel waits for both, Balie gets one message.
  op = send_from_operator(kannel, "+31600000063 4444 udh-text %05%00%03%2A%02%01 Eerste+deel+");
  op->signal_and_wait(SIGTERM);
  CHECK(s.inbox_length("algemeen") == 2);
  op = send_from_operator(kannel, "+31600000063 4444 udh-text %05%00%03%2A%02%02 tweede+deel");
  REQUIRE(eventually([&] { return s.inbox_length("algemeen") == 3; }));
  auto const joined = case_of(s.port(), "+31600000063");
  CHECK(joined["messages"].size() == 1);
  CHECK(joined["messages"][0]["text"] == "Eerste+deel+tweede+deel");  // udh-text is sent as written, '+' and all

  // A staff reply: sendsms → bearerbox → the operator (the fakesmsc still connected), then the report.
  auto const case_id = plain["id"].get<std::string>();
  auto const reply = http_call(s.port(), "POST", "/api/v1/cases/" + case_id + "/replies", as_staff(), json{{"text", "Wij maken de stoep deze week."}}.dump());
  REQUIRE(reply.status == 202);
  auto const message_id = json::parse(reply.body)["message"]["id"].get<std::string>();
  CHECK(op->wait_for_line([](std::string const& l) { return l.find("Got message") != std::string::npos && l.find("+31600000061") != std::string::npos; }));
  auto const status = [&] {
    auto const v = json::parse(http_call(s.port(), "GET", "/api/v1/cases/" + case_id, as_staff()).body);
    for (auto const& m : v["messages"])
      if (m["id"] == message_id) return m["delivery"]["status"].get<std::string>();
    return std::string{};
  };
  CHECK(eventually([&] { return status() == "delivered"; }));
  op->signal_and_wait(SIGTERM);
}
