// The sans-io side of SMS replies: each provider's request as its API
// documents it, the provider's answer read as accepted / retry / failed /
// bad credentials, delivery reports read forward into Balie's statuses, and
// the circuit breaker's timing with a clock passed in.
#include "channels/circuit_breaker.hpp"
#include "channels/sms/delivery_reports.hpp"
#include "channels/sms/outbound_sms.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace balie::sms;

namespace {
constexpr char const* case_id = "01JD0000000000000000000000";
constexpr char const* message_id = "01JD0000000000000000000001";

std::string value(std::string const& query, std::string const& name) {
  auto const f = parse_form(query);
  REQUIRE(f.has_value());
  for (auto const& [k, v] : *f)
    if (k == name) return v;
  return {};
}
} // namespace

TEST_CASE("outbound SMS: Kannel, Twilio and CM requests carry the number, the text, the sender and Balie's ids") {
  provider_config kannel;
  kannel.api_url = "http://127.0.0.1:13013/cgi-bin/sendsms";
  kannel.account = "balie";
  kannel.api_secret = "p&ss word";
  kannel.webhook_secret = "dlr/secret";
  kannel.from = "Gemeente";
  outbound_ref const ref{case_id, message_id};
  auto const status = status_url("https://balie.gemeente.test", "kannel", ref);
  CHECK(status == std::string("https://balie.gemeente.test/api/v1/webhooks/sms/kannel/status?case=") + case_id + "&message=" + message_id);
  auto const k = kannel_request(kannel, "+31600000001", "Hé, 😀 & tot ziens", true, 6, status);
  CHECK(k.method == "GET");
  auto const query = k.url.substr(k.url.find('?') + 1);
  CHECK(k.url.rfind("http://127.0.0.1:13013/cgi-bin/sendsms?", 0) == 0);
  CHECK(value(query, "password") == "p&ss word");
  CHECK(value(query, "to") == "+31600000001");
  CHECK(value(query, "text") == "Hé, 😀 & tot ziens");
  CHECK(value(query, "coding") == "2");
  CHECK(value(query, "charset") == "UTF-8");
  CHECK(value(query, "max-messages") == "6");
  CHECK(value(query, "dlr-mask") == "31");
  // The secret is percent-encoded into the URL's user part; %d is left for Kannel.
  CHECK(value(query, "dlr-url") == "https://kannel:dlr%2Fsecret@balie.gemeente.test/api/v1/webhooks/sms/kannel/status?case=" +
                                       std::string(case_id) + "&message=" + message_id + "&type=%d");

  provider_config twilio;
  twilio.api_url = "https://api.twilio.com";
  twilio.account = "AC123";
  twilio.api_secret = "token";
  twilio.from = "+3197000000001";
  auto const t = twilio_request(twilio, "+31600000001", "Hallo", "https://b.test/status");
  CHECK(t.method == "POST");
  CHECK(t.url == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json");
  CHECK(std::find(t.headers.begin(), t.headers.end(), std::pair<std::string, std::string>{"Authorization", "Basic QUMxMjM6dG9rZW4="}) != t.headers.end());
  CHECK(value(t.body, "To") == "+31600000001");
  CHECK(value(t.body, "From") == "+3197000000001");
  CHECK(value(t.body, "StatusCallback") == "https://b.test/status");

  provider_config cm;
  cm.api_url = "https://gw.cmtelecom.com";
  cm.api_secret = "00000000-0000-0000-0000-000000000000";
  cm.from = "Gemeente";
  auto const c = cm_request(cm, "+31600000001", "Hallo", ref, 4);
  auto const body = nlohmann::json::parse(c.body);
  CHECK(c.url == "https://gw.cmtelecom.com/v1.0/message");
  CHECK(body["messages"]["authentication"]["producttoken"] == cm.api_secret);
  CHECK(body["messages"]["msg"][0]["to"][0]["number"] == "+31600000001");
  CHECK(body["messages"]["msg"][0]["maximumNumberOfMessageParts"] == 4);
  CHECK(body["messages"]["msg"][0]["reference"] == std::string(case_id) + "." + message_id);
}

TEST_CASE("outbound SMS: the provider's answer decides between done, a later try, a dead letter and an operator") {
  using k = send_answer::kind;
  CHECK(read_send_answer("kannel", 202, "0: Accepted for delivery", "").outcome == k::accepted);
  CHECK(read_send_answer("twilio", 201, "{}", "").outcome == k::accepted);
  CHECK(read_send_answer("kannel", 0, "", "Timeout was reached").outcome == k::retry);
  CHECK(read_send_answer("twilio", 429, "", "").outcome == k::retry);
  CHECK(read_send_answer("cm", 503, "", "").outcome == k::retry);
  CHECK(read_send_answer("kannel", 403, "Authorization failed for sendsms", "").outcome == k::bad_credentials);
  CHECK(read_send_answer("twilio", 401, "", "").outcome == k::bad_credentials);
  auto const refused = read_send_answer("twilio", 400, R"({"code": 21211})", "");
  CHECK(refused.outcome == k::failed);
  CHECK(refused.detail == R"(twilio answered 400: {"code": 21211})");
}

TEST_CASE("delivery reports: each provider's status read into sent, delivered or failed; intermediate ones ignored; strangers refused") {
  form_fields const ids = {{"case", case_id}, {"message", message_id}};
  auto with = [&](form_fields extra) {
    auto f = ids;
    f.insert(f.end(), extra.begin(), extra.end());
    return f;
  };
  CHECK(read_kannel_report(with({{"type", "1"}}))->status == "delivered");
  CHECK(read_kannel_report(with({{"type", "2"}}))->status == "failed");
  CHECK(read_kannel_report(with({{"type", "4"}}))->status == "sent");
  CHECK(read_kannel_report(with({{"type", "8"}}))->status == "sent");
  CHECK(read_kannel_report(with({{"type", "16"}}))->status == "failed");
  CHECK(!read_kannel_report(with({{"type", "%d"}})));
  CHECK(!read_kannel_report({{"case", "../../etc"}, {"message", message_id}, {"type", "1"}}));
  CHECK(read_kannel_report(with({{"type", "1"}}))->ref.message_id == message_id);

  CHECK(read_twilio_report(ids, {{"MessageStatus", "delivered"}})->status == "delivered");
  CHECK(read_twilio_report(ids, {{"MessageStatus", "sending"}})->status.empty());
  auto const undelivered = read_twilio_report(ids, {{"MessageStatus", "undelivered"}, {"ErrorCode", "30003"}});
  CHECK(undelivered->status == "failed");
  CHECK(undelivered->detail == "twilio undelivered (error 30003)");
  CHECK(!read_twilio_report(ids, {{"MessageStatus", "exploded"}}));

  auto const cm = [&](nlohmann::json code) {
    return nlohmann::json{{"messages", {{"msg", {{"reference", std::string(case_id) + "." + message_id}, {"status", {{"code", code}}}}}}}}.dump();
  };
  CHECK(read_cm_report(cm("2"))->status == "delivered");
  CHECK(read_cm_report(cm(0))->status == "sent");
  CHECK(read_cm_report(cm("3"))->status == "failed");
  CHECK(!read_cm_report(cm("9")));
  CHECK(!read_cm_report(R"({"messages":{"msg":{"reference":"someone-else"}}})"));
  CHECK(!read_cm_report("[1,2]"));
  CHECK(!read_cm_report(R"({"messages":{"msg":{"reference":5,"status":null}}})"));
}

TEST_CASE("circuit breaker: opens after the configured failures in a row, lets one call through after the cooldown") {
  balie::channels::circuit_breaker b(3, std::chrono::seconds(60));
  auto const t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  b.failed(t0);
  b.failed(t0);
  CHECK(b.allows(t0));
  b.succeeded();  // a success in between: the count starts again
  b.failed(t0);
  b.failed(t0);
  CHECK(b.allows(t0));
  b.failed(t0);
  CHECK(!b.allows(t0 + std::chrono::seconds(59)));
  CHECK(b.allows(t0 + std::chrono::seconds(60)));
  b.failed(t0 + std::chrono::seconds(60));  // the trial failed: open again
  CHECK(!b.allows(t0 + std::chrono::seconds(61)));
  b.succeeded();
  CHECK(b.allows(t0 + std::chrono::seconds(61)));
}

TEST_CASE("outbound SMS through Bird and MessageBird: their APIs' shapes, and their reports read back") {
  outbound_ref const ref{case_id, message_id};
  provider_config bird;
  bird.api_url = "https://api.bird.com/workspaces/w1/channels/c1";
  bird.api_secret = "bird-access-key";
  auto const b = bird_request(bird, "+31600000001", "Hallo", ref);
  CHECK(b.url == "https://api.bird.com/workspaces/w1/channels/c1/messages");
  CHECK(std::find(b.headers.begin(), b.headers.end(), std::pair<std::string, std::string>{"Authorization", "AccessKey bird-access-key"}) != b.headers.end());
  auto const bj = nlohmann::json::parse(b.body);
  CHECK(bj["receiver"]["contacts"][0]["identifierValue"] == "+31600000001");
  CHECK(bj["body"]["text"]["text"] == "Hallo");
  CHECK(bj["reference"] == std::string(case_id) + "." + message_id);

  provider_config mb;
  mb.api_url = "https://rest.messagebird.com";
  mb.api_secret = "mb-access-key";
  mb.from = "Gemeente";
  auto const m = messagebird_request(mb, "+31600000001", "Hallo", ref, "https://b.test/api/v1/webhooks/sms/messagebird/status");
  auto const mj = nlohmann::json::parse(m.body);
  CHECK(m.url == "https://rest.messagebird.com/messages");
  CHECK(mj["recipients"][0] == "31600000001");  // MessageBird's numbers have no plus
  CHECK(mj["reportUrl"] == "https://b.test/api/v1/webhooks/sms/messagebird/status");

  auto const reference = std::string(case_id) + "." + message_id;
  CHECK(read_bird_report(nlohmann::json{{"service", "channels"}, {"event", "sms.outbound"},
                                        {"payload", {{"reference", reference}, {"status", "delivered"}}}}
                             .dump())
            ->status == "delivered");
  CHECK(read_bird_report(nlohmann::json{{"reference", reference}, {"status", "processing"}}.dump())->status.empty());
  CHECK(read_bird_report(nlohmann::json{{"reference", reference}, {"status", "delivery_failed"}}.dump())->status == "failed");
  CHECK(!read_bird_report(nlohmann::json{{"reference", "x.y"}, {"status", "delivered"}}.dump()));
  CHECK(!read_bird_report("null"));
  CHECK(read_messagebird_report({{"reference", reference}, {"status", "buffered"}})->status == "sent");
  CHECK(read_messagebird_report({{"reference", reference}, {"status", "expired"}})->status == "failed");
  CHECK(!read_messagebird_report({{"reference", reference}, {"status", "lost"}}));
}
