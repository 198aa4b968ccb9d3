// WhatsApp through a provider, sans-io: CM.com's JSON (the same shape as its
// SMS, `"channel": "WhatsApp"`) and Twilio's form (`whatsapp:+31…`) read
// into messages and status reports the same way as Meta's; each provider's
// send request and its answers mapped to what the sender does (Twilio's
// 63016 is the closed 24-hour window); the settings that choose a provider.
#include "channels/config_reader.hpp"
#include "channels/messenger/cm_whatsapp.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/messenger/twilio_whatsapp.hpp"
#include "tests/support/redis_server.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace balie;
using namespace balie::messenger;
using nlohmann::json;

namespace {

constexpr char const* case_id = "01JDZ8Y3N4M5P6Q7R8S9T0V1W2";
constexpr char const* message_id = "01JDZ8Y3N4M5P6Q7R8S9T0V1W3";

json cm_message(std::string channel = "WhatsApp") {
  return {{"reference", "c3d7e0f2-0001"},
          {"messageContext", ""},
          {"from", {{"number", "+31600000001"}, {"name", "Jan Jansen"}}},
          {"to", {{"number", "+3197010203040"}}},
          {"message", {{"text", "Wanneer wordt het grofvuil opgehaald?"}}},
          {"groupings", {"", "", ""}},
          {"timeUtc", "2026-11-28T09:00:00"},
          {"channel", channel}};
}

channels::form_fields twilio_message() {
  return {{"MessageSid", "SM0123456789abcdef0123456789abcdef"}, {"AccountSid", "AC0123456789abcdef0123456789abcdef"},
          {"From", "whatsapp:+31600000001"},                    {"To", "whatsapp:+3197010203040"},
          {"Body", "Wanneer wordt het grofvuil opgehaald?"},     {"ProfileName", "Jan Jansen"},
          {"WaId", "31600000001"},                               {"NumMedia", "0"}};
}

std::string field(channels::form_fields const& f, std::string const& name) {
  for (auto const& [k, v] : f)
    if (k == name) return v;
  return {};
}

whatsapp_config providers() {
  whatsapp_config c;
  c.configured = true;
  c.template_name = "balie_reactie";
  c.template_language = "nl";
  c.template_text = "Er is een antwoord op uw bericht {{1}}.";
  c.cm = {true, "cm-path-secret-0001", {"127.0.0.1"}, "http://127.0.0.1:9", "cm-product-token", "+3197010203040", "gemeente_ns"};
  c.twilio = {true, "twilio-auth-token-0001", false, "http://127.0.0.1:9", "AC0123456789abcdef0123456789abcdef", "+3197010203040",
              "HX0123456789abcdef0123456789abcdef"};
  return c;
}

channels::outbound_answer answer(long status, std::string body, std::string retry_after = "") {
  channels::outbound_answer a;
  a.status = status;
  a.body = std::move(body);
  a.retry_after = std::move(retry_after);
  return a;
}

} // namespace

TEST_CASE("CM: a WhatsApp message in CM's JSON is read like Meta's: the number in E.164, the name, the reference as id, UTC time") {
  auto const read = read_cm_whatsapp(cm_message().dump());
  REQUIRE(read.has_value());
  REQUIRE(read->messages.size() == 1);
  auto const& m = read->messages[0];
  CHECK(m.from == "+31600000001");
  CHECK(m.name == "Jan Jansen");
  CHECK(m.id == "c3d7e0f2-0001");
  CHECK(m.via == "cm");
  CHECK(m.text == "Wanneer wordt het grofvuil opgehaald?");
  REQUIRE(m.sent_at.has_value());
  CHECK(format_rfc3339(*m.sent_at) == "2026-11-28T09:00:00.000Z");
  auto national = cm_message();
  national["from"]["number"] = "0031600000001";
  CHECK(read_cm_whatsapp(national.dump())->messages[0].from == "+31600000001");
  // Decomposed "é" comes out composed (NFC), as from every other channel.
  auto decomposed = cm_message();
  decomposed["message"]["text"] = "Caf\x65\xcc\x81";
  CHECK(read_cm_whatsapp(decomposed.dump())->messages[0].text == "Caf\xc3\xa9");
  // A file CM carried is marked, so that staff are told one came.
  auto media = cm_message();
  media["message"] = {{"text", ""}, {"media", {{"mediaUri", "https://example.test/x"}, {"contentType", "image/jpeg"}}}};
  CHECK(read_cm_whatsapp(media.dump())->messages[0].media_type == "file");
}

TEST_CASE("CM: an SMS posted to the messenger's URL, and what cannot be read, are refused naming the field") {
  CHECK(read_cm_whatsapp(cm_message("SMS").dump()).error().reason == "channel: not WhatsApp");
  auto no_channel = cm_message();
  no_channel.erase("channel");
  CHECK(read_cm_whatsapp(no_channel.dump()).error().reason == "channel: not WhatsApp");
  CHECK(read_cm_whatsapp("[]").error().reason == "body: not a JSON object");
  CHECK(read_cm_whatsapp("{\"channel\":").error().reason == "body: not a JSON object");
  auto bad_number = cm_message();
  bad_number["from"]["number"] = "Gemeente";
  CHECK(read_cm_whatsapp(bad_number.dump()).error().reason == "from.number: not a WhatsApp number");
  auto no_reference = cm_message();
  no_reference.erase("reference");
  CHECK(read_cm_whatsapp(no_reference.dump()).error().reason == "id: missing or too long");
  auto bad_time = cm_message();
  bad_time["timeUtc"] = "gisteren";
  CHECK(read_cm_whatsapp(bad_time.dump()).error().reason == "timeUtc: not a time");
  auto long_text = cm_message();
  long_text["message"]["text"] = std::string(4097, 'a');
  CHECK(read_cm_whatsapp(long_text.dump()).error().reason == "text: longer than WhatsApp allows");
  auto not_utf8 = cm_message().dump();
  not_utf8.replace(not_utf8.find("Wanneer"), 1, "\xff");
  CHECK(!read_cm_whatsapp(not_utf8).has_value());
}

TEST_CASE("CM: status reports name Balie's message by its reference; 4 is read; another's reference changes nothing") {
  auto const report = [](json code, std::string reference = std::string(case_id) + "." + message_id) {
    return json{{"messages", {{"msg", {{"received", "2026-11-28T09:00:01"}, {"to", "0031600000001"}, {"reference", reference},
                                       {"status", {{"code", code}, {"errorCode", ""}, {"errorDescription", ""}}}, {"operator", ""}}}}}}
        .dump();
  };
  for (auto const& [code, status] : {std::pair{json(0), "sent"}, {json("2"), "delivered"}, {json(4), "read"}, {json(1), "failed"}, {json(3), "failed"}}) {
    auto const r = read_cm_whatsapp_status(report(code));
    REQUIRE(r.has_value());
    REQUIRE(r->statuses.size() == 1);
    CHECK(r->statuses[0].status == status);
    CHECK(r->statuses[0].case_id == case_id);
    CHECK(r->statuses[0].message_id == message_id);
  }
  auto const other = read_cm_whatsapp_status(report(2, "iemand-anders"));
  REQUIRE(other.has_value());
  CHECK(other->statuses[0].case_id.empty());
  CHECK(read_cm_whatsapp_status(report(9)).error().reason == "status.code: unknown");
  CHECK(read_cm_whatsapp_status(cm_message().dump()).error().reason == "body: not a CM status report");
}

TEST_CASE("CM out: WhatsApp only, numbers as CM writes them, the reference echoed; the template by namespace and name") {
  auto const c = providers();
  auto const text = cm_text_request(c.cm, "+31600000001", "Wij komen morgen.", "c.m");
  CHECK(text.method == "POST");
  CHECK(text.url == "http://127.0.0.1:9/v1.0/message");
  auto const body = json::parse(text.body);
  CHECK(body["messages"]["authentication"]["producttoken"] == "cm-product-token");
  auto const& msg = body["messages"]["msg"][0];
  CHECK(msg["from"] == "003197010203040");
  CHECK(msg["to"][0]["number"] == "0031600000001");
  CHECK(msg["body"]["content"] == "Wij komen morgen.");
  CHECK(msg["allowedChannels"] == json::array({"WhatsApp"}));
  CHECK(msg["reference"] == "c.m");
  auto const tpl = json::parse(cm_template_request(c, "+31600000001", "BL-7K3M9Q", "c.m").body)["messages"]["msg"][0];
  auto const& wa = tpl["richContent"]["conversation"][0]["template"]["whatsapp"];
  CHECK(wa["namespace"] == "gemeente_ns");
  CHECK(wa["element_name"] == "balie_reactie");
  CHECK(wa["language"]["code"] == "nl");
  CHECK(wa["components"][0]["parameters"][0]["text"] == "BL-7K3M9Q");
  CHECK(tpl["body"]["content"] == "Er is een antwoord op uw bericht BL-7K3M9Q.");
}

TEST_CASE("CM out: its answers and error codes mapped to what the sender does") {
  using k = send_answer::kind;
  CHECK(read_cm_answer(answer(200, R"j({"details":"Created 1 message(s)","errorCode":0,"messages":[{"status":"Accepted"}]})j")).outcome == k::accepted);
  CHECK(read_cm_answer(answer(401, R"({"details":"Authentication failed","errorCode":101})")).outcome == k::bad_credentials);
  CHECK(read_cm_answer(answer(400, R"({"details":"Invalid product token","errorCode":103})")).outcome == k::bad_credentials);
  CHECK(read_cm_answer(answer(400, R"({"details":"Insufficient balance","errorCode":102})")).outcome == k::retry);
  auto const limited = read_cm_answer(answer(429, "", "12"));
  CHECK(limited.outcome == k::retry);
  CHECK(limited.retry_after == std::chrono::seconds(12));
  CHECK(read_cm_answer(answer(503, "")).outcome == k::retry);
  CHECK(read_cm_answer(answer(0, "")).outcome == k::retry);
  auto const wrong = read_cm_answer(answer(400, R"({"details":"No valid recipient","errorCode":304})"));
  CHECK(wrong.outcome == k::failed);
  CHECK(wrong.detail == "cm 400 (error 304)");
}

TEST_CASE("Twilio: a WhatsApp form is read like Meta's; an SMS form or what cannot be read is refused naming the field") {
  auto const read = read_twilio_whatsapp(twilio_message());
  REQUIRE(read.has_value());
  auto const& m = read->messages.at(0);
  CHECK(m.from == "+31600000001");
  CHECK(m.name == "Jan Jansen");
  CHECK(m.id == "SM0123456789abcdef0123456789abcdef");
  CHECK(m.via == "twilio");
  CHECK(m.text == "Wanneer wordt het grofvuil opgehaald?");
  CHECK(!m.sent_at.has_value());  // Twilio says nothing of when it was sent
  auto sms = twilio_message();
  sms[2].second = "+31600000001";
  CHECK(read_twilio_whatsapp(sms).error().reason == "From: not a whatsapp: address");
  auto no_sid = twilio_message();
  no_sid[0].second.clear();
  CHECK(read_twilio_whatsapp(no_sid).error().reason == "id: missing or too long");
  auto bad_number = twilio_message();
  bad_number[2].second = "whatsapp:0600000001";
  CHECK(read_twilio_whatsapp(bad_number).error().reason == "from: not a WhatsApp number");
  auto media = twilio_message();
  media.back().second = "1";
  media.emplace_back("MediaContentType0", "image/jpeg");
  CHECK(read_twilio_whatsapp(media)->messages[0].media_type == "file");
}

TEST_CASE("Twilio: status callbacks name Balie's message by the URL's ids; read is read; queued is nothing yet") {
  channels::form_fields const query{{"case", case_id}, {"message", message_id}};
  auto const status = [&](std::string s, std::string code = "") {
    channels::form_fields form{{"MessageSid", "SM0123456789abcdef0123456789abcdef"}, {"MessageStatus", std::move(s)}};
    if (!code.empty()) form.emplace_back("ErrorCode", code);
    return read_twilio_whatsapp_status(query, form);
  };
  CHECK(status("read")->statuses.at(0).status == "read");
  CHECK(status("delivered")->statuses.at(0).message_id == message_id);
  auto const failed = status("undelivered", "63024");
  CHECK(failed->statuses.at(0).status == "failed");
  CHECK(failed->statuses.at(0).detail == "twilio undelivered (error 63024)");
  CHECK(status("queued")->statuses.empty());
  CHECK(status("verzonnen").error().reason == "MessageStatus: unknown");
  CHECK(read_twilio_whatsapp_status({{"case", "x"}}, {{"MessageStatus", "read"}}).error().reason == "case, message: not Balie's ids");
}

TEST_CASE("Twilio out: whatsapp: addresses, basic auth, the status URL with Balie's ids; the template by its Content SID") {
  auto const c = providers();
  auto const url = twilio_status_url("https://balie.gemeente.test", case_id, message_id);
  CHECK(url == std::string("https://balie.gemeente.test/api/v1/webhooks/messenger/twilio/status?case=") + case_id + "&message=" + message_id);
  auto const text = twilio_text_request(c.twilio, "+31600000001", "Wij komen morgen.", url);
  CHECK(text.url == "http://127.0.0.1:9/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json");
  CHECK(std::find(text.headers.begin(), text.headers.end(),
                  std::pair<std::string, std::string>{"Authorization", "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjp0d2lsaW8tYXV0aC10b2tlbi0wMDAx"}) !=
        text.headers.end());
  auto const form = channels::parse_form(text.body);
  REQUIRE(form.has_value());
  CHECK(field(*form, "To") == "whatsapp:+31600000001");
  CHECK(field(*form, "From") == "whatsapp:+3197010203040");
  CHECK(field(*form, "Body") == "Wij komen morgen.");
  CHECK(field(*form, "StatusCallback") == url);
  auto const tpl = channels::parse_form(twilio_template_request(c.twilio, "+31600000001", "BL-7K3M9Q", url).body);
  REQUIRE(tpl.has_value());
  CHECK(field(*tpl, "ContentSid") == "HX0123456789abcdef0123456789abcdef");
  CHECK(json::parse(field(*tpl, "ContentVariables")) == json{{"1", "BL-7K3M9Q"}});
  CHECK(field(*tpl, "Body").empty());
}

TEST_CASE("Twilio out: its answers and error codes mapped to what the sender does; 63016 is the closed window") {
  using k = send_answer::kind;
  auto const ok = read_twilio_answer(answer(201, R"({"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"})"));
  CHECK(ok.outcome == k::accepted);
  CHECK(ok.platform_id == "SM0123456789abcdef0123456789abcdef");
  auto const error = [](long status, int code) {
    return answer(status, R"({"code":)" + std::to_string(code) + R"(,"message":"x","more_info":"https://www.twilio.com/docs/errors/)" +
                              std::to_string(code) + R"(","status":)" + std::to_string(status) + "}");
  };
  CHECK(read_twilio_answer(error(400, 63016)).outcome == k::outside_window);
  CHECK(read_twilio_answer(error(401, 20003)).outcome == k::bad_credentials);
  auto const limited = read_twilio_answer(answer(429, R"({"code":20429,"status":429})", "7"));
  CHECK(limited.outcome == k::retry);
  CHECK(limited.retry_after == std::chrono::seconds(7));
  CHECK(read_twilio_answer(answer(500, "")).outcome == k::retry);
  CHECK(read_twilio_answer(answer(201, "{}")).outcome == k::retry);
  auto const wrong = read_twilio_answer(error(400, 21211));
  CHECK(wrong.outcome == k::failed);
  CHECK(wrong.detail == "twilio 400 (error 21211)");
}

TEST_CASE("settings: the provider that carries replies (via) needs its sending fields; Meta's fields only for cloud; templates per provider") {
  balie::test::temp_dir dir;
  for (auto const* name : {"a", "b", "c", "cm", "tw", "token"}) std::ofstream(dir.path / name) << "secret-" << name << "-0123456789";
  channels::config_context const ctx{dir.path, dir.path, {"algemeen"}};
  auto const read = [&](json whatsapp) -> std::string {
    json const section = {{"public_base_url", "http://127.0.0.1:8080"}, {"whatsapp", whatsapp}};
    try {
      channels::object_reader r(section, "/channels/messenger");
      read_messenger_config(r, ctx);
      return "";
    } catch (channels::config_error const& e) {
      return e.path;
    }
  };
  json const cm = {{"path_secret", {{"file", "cm"}}}, {"allowed_sources", {"127.0.0.1", "192.0.2.0/24"}}, {"product_token", {{"file", "token"}}},
                   {"from", "+3197010203040"}};
  json const twilio = {{"auth_token", {{"file", "tw"}}}, {"account", "AC0123456789abcdef0123456789abcdef"}, {"from", "+3197010203040"}};
  json const tpl = {{"name", "balie_reactie"}, {"text", "Er is een antwoord op {{1}}."}};
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "cm"}, {"cm", cm}}).empty());
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "twilio"}, {"twilio", twilio}}).empty());
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "cm"}}) == "/channels/messenger/whatsapp/cm");
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "telegram"}}) == "/channels/messenger/whatsapp/via");
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"cm", cm}}) == "/channels/messenger/whatsapp/app_secret");  // cloud is the default
  auto no_token = cm;
  no_token.erase("product_token");
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "cm"}, {"cm", no_token}}) == "/channels/messenger/whatsapp/cm");
  auto open = cm;
  open["allowed_sources"] = json::array();
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "cm"}, {"cm", open}}) == "/channels/messenger/whatsapp/cm/allowed_sources");
  open["allowed_sources"] = {"ergens"};
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "cm"}, {"cm", open}}) == "/channels/messenger/whatsapp/cm/allowed_sources/0");
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "cm"}, {"cm", cm}, {"template", tpl}}) == "/channels/messenger/whatsapp/cm/template_namespace");
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "twilio"}, {"twilio", twilio}, {"template", tpl}}) ==
        "/channels/messenger/whatsapp/twilio/content_sid");
  auto bad_account = twilio;
  bad_account["account"] = "12345";
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "twilio"}, {"twilio", bad_account}}) == "/channels/messenger/whatsapp/twilio/account");
  CHECK(read({{"via", "twilio"}, {"twilio", twilio}}) == "/channels/messenger/whatsapp/dpia_reference");  // every carrier needs the DPIA
  // Meta's webhook and CM's side by side (a change of provider): both read, replies through the one named.
  json const both = {{"dpia_reference", "DPIA-1"}, {"via", "cm"}, {"cm", cm}, {"app_secret", {{"file", "a"}}}, {"verify_token", {{"file", "b"}}},
                     {"access_token", {{"file", "c"}}}, {"phone_number_id", "106540352242922"}};
  json const section = {{"public_base_url", "http://127.0.0.1:8080"}, {"whatsapp", both}};
  channels::object_reader r(section, "/channels/messenger");
  auto const c = read_messenger_config(r, ctx);
  CHECK(c.whatsapp.cloud);
  CHECK(c.whatsapp.cm.configured);
  CHECK(!c.whatsapp.twilio.configured);
  CHECK(c.whatsapp.via == "cm");
  CHECK(c.whatsapp.cm.allowed_sources == std::vector<std::string>{"127.0.0.1", "192.0.2.0/24"});
  CHECK(c.whatsapp.public_number == "+3197010203040");  // the number residents write to: the provider's sender, unless named
  CHECK(read({{"dpia_reference", "DPIA-1"}, {"via", "cm"}, {"cm", cm}, {"public_number", "06 00000000"}}) == "/channels/messenger/whatsapp/public_number");
}
