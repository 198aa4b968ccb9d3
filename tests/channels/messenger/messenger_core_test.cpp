// The messenger's sans-io core: Meta's signature over the raw bytes (the
// published test vector from CHANNELS.md 5.1, computed with OpenSSL's
// command line, not with Balie's code), WhatsApp notifications and Matrix
// transactions read into messages, edits, redactions, invites, receipts and
// statuses; every platform's send request and answer; the reply rules (no
// BSN, the 24-hour window with the clock as a parameter); the settings.
#include "channels/config_reader.hpp"
#include "channels/messenger/matrix_api.hpp"
#include "channels/messenger/matrix_events.hpp"
#include "channels/messenger/media_fetch.hpp"
#include "channels/messenger/reply_rules.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/messenger/whatsapp_api.hpp"
#include "channels/messenger/whatsapp_webhook.hpp"
#include "tests/support/redis_server.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace balie;
using namespace balie::messenger;
using nlohmann::json;

namespace {

// CHANNELS.md 5.1: exactly these 473 bytes, signed with app secret `app-secret-test`.
constexpr std::string_view meta_vector =
    R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"31970102030","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Jörg"},"wa_id":"31612345678"}],"messages":[{"from":"31612345678","id":"wamid.HBgLMzE2MTIzNDU2NzgVAgASGBQzQTg","timestamp":"1764320400","type":"text","text":{"body":"Wanneer wordt het grofvuil opgehaald?"}}]},"field":"messages"}]}]})";
constexpr std::string_view meta_signature = "sha256=05c1ac964f797a48ae4439b051aef8ce110a3d3d9e1f64a23e464f5a578142b5";

constexpr char const* case_id = "01JDZ8Y3N4M5P6Q7R8S9T0V1W2";
constexpr char const* message_id = "01JDZ8Y3N4M5P6Q7R8S9T0V1W3";

/// A notification with one change value, as Meta wraps it.
std::string notification(json value) {
  value["messaging_product"] = "whatsapp";
  return json{{"object", "whatsapp_business_account"},
              {"entry", {{{"id", "102290129340398"}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}}
      .dump();
}

json message(std::string const& type, json body, std::string const& id = "wamid.A1") {
  json m = {{"from", "31600000001"}, {"id", id}, {"timestamp", "1764320400"}, {"type", type}};
  if (!body.is_null()) m[type] = body;
  return m;
}

matrix_config matrix() {
  matrix_config c;
  c.configured = true;
  c.homeserver_url = "https://matrix.gemeente.test";
  c.server_name = "gemeente.test";
  c.hs_token = "hs-token-000000";
  c.as_token = "as-token-000000";
  return c;
}

json event(std::string const& type, json content, std::string const& sender = "@inwoner:example.org", std::string const& id = "$e1") {
  return {{"type", type}, {"room_id", "!kamer:gemeente.test"}, {"sender", sender}, {"event_id", id}, {"origin_server_ts", 1764320400000},
          {"content", content}};
}

std::string transaction(json events, json ephemeral = nullptr) {
  json t = {{"events", events}};
  if (!ephemeral.is_null()) t["ephemeral"] = ephemeral;
  return t.dump();
}

whatsapp_config whatsapp() {
  whatsapp_config c;
  c.configured = true;
  c.access_token = "EAAG-test-token";
  c.graph_url = "http://127.0.0.1:9/v21.0";
  c.phone_number_id = "106540352242922";
  c.template_name = "balie_reactie";
  c.template_text = "Er is een antwoord op uw bericht {{1}}.";
  return c;
}

} // namespace

TEST_CASE("Meta's signature: the published vector passes; a changed byte, another secret or another form fails") {
  CHECK(meta_vector.size() == 473);
  CHECK(channels::verify_meta("app-secret-test", meta_vector, meta_signature).has_value());
  std::string upper(meta_signature);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper.replace(0, 7, "sha256=");
  CHECK(channels::verify_meta("app-secret-test", meta_vector, upper).has_value());  // hex is hex in either case
  std::string changed(meta_vector);
  changed[changed.find("grofvuil")] = 'G';
  CHECK(!channels::verify_meta("app-secret-test", changed, meta_signature));
  // Re-serialised JSON (the pitfall: \u00f6 for ö) is other bytes, so another signature.
  std::string escaped(meta_vector);
  escaped.replace(escaped.find("Jörg"), std::string("Jörg").size(), "J\\u00f6rg");
  CHECK(!channels::verify_meta("app-secret-test", escaped, meta_signature));
  CHECK(!channels::verify_meta("another-secret", meta_vector, meta_signature));
  CHECK(!channels::verify_meta("app-secret-test", meta_vector, meta_signature.substr(7)));  // without "sha256="
  CHECK(!channels::verify_meta("app-secret-test", meta_vector, "sha256="));
  CHECK(!channels::verify_meta("", meta_vector, meta_signature));
}

TEST_CASE("WhatsApp notification: the vector's message, with the sender in E.164, the profile name, the id and the time") {
  auto const n = read_whatsapp(meta_vector);
  REQUIRE(n.has_value());
  REQUIRE(n->messages.size() == 1);
  auto const& m = n->messages[0];
  CHECK(m.from == "+31612345678");
  CHECK(m.name == "Jörg");
  CHECK(m.id == "wamid.HBgLMzE2MTIzNDU2NzgVAgASGBQzQTg");
  CHECK(m.text == "Wanneer wordt het grofvuil opgehaald?");
  REQUIRE(m.sent_at);
  CHECK(m.sent_at->time_since_epoch() == std::chrono::seconds(1764320400));
  CHECK(m.kind == message_kind::message);
  CHECK(n->statuses.empty());
  CHECK(n->ignored.empty());
}

TEST_CASE("WhatsApp notification: buttons, lists and media carry text; a location or reaction is ignored and counted by type") {
  auto const n = read_whatsapp(notification(
      {{"messages",
        {message("interactive", {{"type", "button_reply"}, {"button_reply", {{"id", "ja"}, {"title", "Ja, graag"}}}}, "wamid.1"),
         message("interactive", {{"type", "list_reply"}, {"list_reply", {{"id", "afval"}, {"title", "Afval"}}}}, "wamid.2"),
         message("button", {{"text", "Stop promoties"}, {"payload", "x"}}, "wamid.3"),
         message("image", {{"id", "media-1"}, {"mime_type", "image/jpeg"}, {"caption", "De kapotte lantaarn"}}, "wamid.4"),
         message("document", {{"id", "media-2"}, {"mime_type", "application/pdf"}, {"filename", "brief.pdf"}}, "wamid.5"),
         message("location", {{"latitude", 52.1}, {"longitude", 5.1}}, "wamid.6"), message("reaction", {{"emoji", "👍"}}, "wamid.7"),
         message("unsupported", nullptr, "wamid.8")}}}));
  REQUIRE(n.has_value());
  REQUIRE(n->messages.size() == 5);
  CHECK(n->messages[0].text == "Ja, graag");
  CHECK(n->messages[1].text == "Afval");
  CHECK(n->messages[2].text == "Stop promoties");
  CHECK(n->messages[3].text == "De kapotte lantaarn");
  CHECK(n->messages[3].media_type == "image");
  CHECK(n->messages[4].text == "brief.pdf");
  CHECK(n->messages[4].media_type == "document");
  CHECK(n->ignored == std::vector<std::string>{"location", "reaction", "unsupported"});
}

TEST_CASE("WhatsApp statuses name Balie's message through the callback data; anything else is unknown, never guessed") {
  auto const n = read_whatsapp(notification(
      {{"statuses",
        {{{"id", "wamid.OUT1"}, {"status", "delivered"}, {"timestamp", "1764320500"}, {"recipient_id", "31600000001"},
          {"biz_opaque_callback_data", std::string(case_id) + "." + message_id}},
         {{"id", "wamid.OUT2"}, {"status", "read"}, {"recipient_id", "31600000001"}},
         {{"id", "wamid.OUT3"}, {"status", "failed"}, {"biz_opaque_callback_data", std::string(case_id) + "." + message_id},
          {"errors", {{{"code", 131026}, {"title", "Message undeliverable"}}}}}}}}));
  REQUIRE(n.has_value());
  REQUIRE(n->statuses.size() == 3);
  CHECK(n->statuses[0].case_id == case_id);
  CHECK(n->statuses[0].message_id == message_id);
  CHECK(n->statuses[0].status == "delivered");
  CHECK(n->statuses[1].case_id.empty());
  CHECK(n->statuses[1].status == "read");
  CHECK(n->statuses[2].status == "failed");
  CHECK(n->statuses[2].detail == "whatsapp error 131026");
  CHECK(!from_callback_data("not.ours"));
  CHECK(!from_callback_data(std::string(case_id)));
}

TEST_CASE("WhatsApp notification: what cannot be read is refused naming the field, never its value") {
  CHECK(read_whatsapp("not json").error().reason == "body: not JSON");
  CHECK(read_whatsapp(R"({"object":"page","entry":[]})").error().reason == "object: not whatsapp_business_account");
  CHECK(read_whatsapp(R"({"object":"whatsapp_business_account"})").error().reason == "entry: missing");
  auto with_from = [](json from) {
    auto m = message("text", {{"body", "Hallo"}});
    m["from"] = from;
    return read_whatsapp(notification({{"messages", {m}}}));
  };
  CHECK(with_from("+31600000001").error().reason == "messages.from: not a WhatsApp number");
  CHECK(with_from("0031600000001").error().reason == "messages.from: not a WhatsApp number");
  CHECK(with_from(31600000001).error().reason == "messages.from: not a WhatsApp number");
  auto no_time = message("text", {{"body", "Hallo"}});
  no_time["timestamp"] = "gisteren";
  CHECK(read_whatsapp(notification({{"messages", {no_time}}})).error().reason == "messages.timestamp: not a time");
  CHECK(read_whatsapp(notification({{"messages", {message("text", {{"body", std::string(5000, 'a')}})}}})).error().reason ==
        "messages.text: longer than WhatsApp allows");
  // Bytes that are not UTF-8 are no JSON at all.
  auto broken = notification({{"messages", {message("text", {{"body", "PLACEHOLDER"}})}}});
  broken.replace(broken.find("PLACEHOLDER"), 11, "\xff\xfe");
  CHECK(read_whatsapp(broken).error().reason == "body: not JSON");
  json many = json::array();
  for (int i = 0; i < 1001; ++i) many.push_back(message("text", {{"body", "x"}}, "wamid." + std::to_string(i)));
  CHECK(read_whatsapp(notification({{"messages", many}})).error().reason == "messages: too many in one notification");
  CHECK(read_whatsapp(notification({{"statuses", {{{"id", "w"}, {"status", "exploded"}}}}})).error().reason == "statuses.status: unknown");
}

TEST_CASE("WhatsApp's subscription handshake: the challenge only for subscribe with the right token") {
  channels::form_fields q = {{"hub.mode", "subscribe"}, {"hub.verify_token", "dev-verify-token"}, {"hub.challenge", "1158201444"}};
  CHECK(verification_challenge(q, "dev-verify-token") == "1158201444");
  CHECK(!verification_challenge(q, "another-token"));
  q[0].second = "unsubscribe";
  CHECK(!verification_challenge(q, "dev-verify-token"));
  q[0].second = "subscribe";
  q[2].second = "<script>";
  CHECK(!verification_challenge(q, "dev-verify-token"));  // echoed as-is: nothing but a token
}

TEST_CASE("WhatsApp out: the text and template requests as the Cloud API takes them, Balie's ids as callback data") {
  auto const text = whatsapp_text_request(whatsapp(), "+31600000001", "Uw container wordt dinsdag geleegd.", "c.m");
  CHECK(text.method == "POST");
  CHECK(text.url == "http://127.0.0.1:9/v21.0/106540352242922/messages");
  CHECK(std::find(text.headers.begin(), text.headers.end(), std::pair<std::string, std::string>{"Authorization", "Bearer EAAG-test-token"}) !=
        text.headers.end());
  auto const body = json::parse(text.body);
  CHECK(body["messaging_product"] == "whatsapp");
  CHECK(body["to"] == "31600000001");
  CHECK(body["type"] == "text");
  CHECK(body["text"]["body"] == "Uw container wordt dinsdag geleegd.");
  CHECK(body["text"]["preview_url"] == false);
  CHECK(body["biz_opaque_callback_data"] == "c.m");
  auto const tpl = json::parse(whatsapp_template_request(whatsapp(), "+31600000001", "BL-7K3M9Q", "c.m").body);
  CHECK(tpl["type"] == "template");
  CHECK(tpl["template"]["name"] == "balie_reactie");
  CHECK(tpl["template"]["language"]["code"] == "nl");
  CHECK(tpl["template"]["components"][0]["parameters"][0]["text"] == "BL-7K3M9Q");
}

TEST_CASE("WhatsApp out: the Graph API's answers and error codes mapped to what the sender does") {
  using k = send_answer::kind;
  auto answer = [](long status, std::string body, std::string retry_after = "") {
    channels::outbound_answer a;
    a.status = status;
    a.body = std::move(body);
    a.retry_after = std::move(retry_after);
    return read_whatsapp_answer(a);
  };
  auto const ok = answer(200, R"({"messaging_product":"whatsapp","contacts":[{"input":"31600000001","wa_id":"31600000001"}],"messages":[{"id":"wamid.OUT"}]})");
  CHECK(ok.outcome == k::accepted);
  CHECK(ok.platform_id == "wamid.OUT");
  CHECK(answer(200, "{}").outcome == k::retry);
  auto const error = [](int code) { return R"({"error":{"message":"x","type":"OAuthException","code":)" + std::to_string(code) + R"(,"fbtrace_id":"A"}})"; };
  CHECK(answer(400, error(131047)).outcome == k::outside_window);
  CHECK(answer(401, error(190)).outcome == k::bad_credentials);
  CHECK(answer(400, error(190)).outcome == k::bad_credentials);
  auto const limited = answer(429, error(130429), "30");
  CHECK(limited.outcome == k::retry);
  CHECK(limited.retry_after == std::chrono::seconds(30));
  CHECK(answer(400, error(131056)).outcome == k::retry);
  CHECK(answer(500, "").outcome == k::retry);
  CHECK(answer(503, error(131000)).outcome == k::retry);
  CHECK(answer(400, error(131026)).outcome == k::failed);
  CHECK(answer(400, error(100)).outcome == k::failed);
  auto const none = answer(0, "");
  CHECK(none.outcome == k::retry);
  CHECK(answer(400, error(131026)).detail == "graph 400 (error 131026)");
}

TEST_CASE("Matrix transaction: residents' text and notices are messages; Balie's own events are skipped") {
  auto const t = read_transaction(
      transaction({event("m.room.message", {{"msgtype", "m.text"}, {"body", "Wanneer is het gemeentehuis open?"}}),
                   event("m.room.message", {{"msgtype", "m.notice"}, {"body", "Automatisch bericht"}}, "@inwoner:example.org", "$e2"),
                   event("m.room.message", {{"msgtype", "m.text"}, {"body", "Balie zegt iets"}}, "@balie:gemeente.test", "$e3"),
                   event("m.room.message", {{"msgtype", "m.text"}, {"body", "Een medewerker"}}, "@balie_medewerker:gemeente.test", "$e4")}),
      matrix());
  REQUIRE(t.has_value());
  REQUIRE(t->messages.size() == 2);
  CHECK(t->messages[0].from == "@inwoner:example.org");
  CHECK(t->messages[0].room == "!kamer:gemeente.test");
  CHECK(t->messages[0].id == "$e1");
  CHECK(t->messages[0].text == "Wanneer is het gemeentehuis open?");
  REQUIRE(t->messages[0].sent_at);
  CHECK(t->messages[0].sent_at->time_since_epoch() == std::chrono::milliseconds(1764320400000));
  CHECK(t->messages[1].text == "Automatisch bericht");
  // Someone else's namespace on another server is a resident like any other.
  CHECK(!is_own_user("@balie_x:example.org", matrix()));
  CHECK(is_own_user("@balie_x:gemeente.test", matrix()));
}

TEST_CASE("Matrix transaction: edits and redactions name the event they change; files are marked; other types are counted") {
  auto const t = read_transaction(
      transaction({event("m.room.message",
                         {{"msgtype", "m.text"}, {"body", "* Het is Dorpsstraat 2"},
                          {"m.new_content", {{"msgtype", "m.text"}, {"body", "Het is Dorpsstraat 2"}}},
                          {"m.relates_to", {{"rel_type", "m.replace"}, {"event_id", "$e1"}}}},
                         "@inwoner:example.org", "$edit"),
                   json{{"type", "m.room.redaction"}, {"room_id", "!kamer:gemeente.test"}, {"sender", "@inwoner:example.org"},
                        {"event_id", "$red10"}, {"redacts", "$e1"}, {"content", json::object()}},
                   event("m.room.redaction", {{"redacts", "$e2"}}, "@inwoner:example.org", "$red11"),
                   event("m.room.message", {{"msgtype", "m.image"}, {"body", "foto.jpg"}, {"url", "mxc://example.org/abc"}}, "@inwoner:example.org", "$img"),
                   event("m.room.message", {{"msgtype", "m.location"}, {"body", "hier"}}, "@inwoner:example.org", "$loc"),
                   event("m.reaction", json::object(), "@inwoner:example.org", "$r"), event("m.room.encrypted", json::object(), "@inwoner:example.org", "$enc")}),
      matrix());
  REQUIRE(t.has_value());
  REQUIRE(t->messages.size() == 4);
  CHECK(t->messages[0].kind == message_kind::edit);
  CHECK(t->messages[0].changes == "$e1");
  CHECK(t->messages[0].text == "Het is Dorpsstraat 2");
  CHECK(t->messages[1].kind == message_kind::redaction);
  CHECK(t->messages[1].changes == "$e1");
  CHECK(t->messages[2].kind == message_kind::redaction);
  CHECK(t->messages[2].changes == "$e2");
  CHECK(t->messages[3].media_type == "image");
  CHECK(t->messages[3].text == "foto.jpg");
  CHECK(t->ignored == std::vector<std::string>{"m.location", "m.reaction", "m.room.encrypted"});
}

TEST_CASE("Matrix transaction: an invite of Balie's bot is a room to join; read receipts from both ephemeral keys") {
  auto const t = read_transaction(
      transaction({json{{"type", "m.room.member"}, {"room_id", "!nieuw:example.org"}, {"sender", "@inwoner:example.org"}, {"event_id", "$inv"},
                        {"state_key", "@balie:gemeente.test"}, {"content", {{"membership", "invite"}}}},
                   json{{"type", "m.room.member"}, {"room_id", "!nieuw:example.org"}, {"sender", "@inwoner:example.org"}, {"event_id", "$inv2"},
                        {"state_key", "@iemand:example.org"}, {"content", {{"membership", "invite"}}}}},
                  {{{"type", "m.receipt"}, {"room_id", "!kamer:gemeente.test"},
                    {"content", {{"$out1", {{"m.read", {{"@inwoner:example.org", {{"ts", 1764320500000}}}, {"@balie:gemeente.test", {{"ts", 1}}}}}}}}}},
                   {{"type", "m.typing"}, {"content", {{"user_ids", json::array()}}}}}),
      matrix());
  REQUIRE(t.has_value());
  CHECK(t->invites == std::vector<std::string>{"!nieuw:example.org"});
  REQUIRE(t->receipts.size() == 1);
  CHECK(t->receipts[0].event_id == "$out1");
  CHECK(t->receipts[0].reader == "@inwoner:example.org");
  auto const unstable = read_transaction(
      R"({"events":[],"de.sorunome.msc2409.ephemeral":[{"type":"m.receipt","content":{"$out2":{"m.read":{"@inwoner:example.org":{"ts":1}}}}}]})", matrix());
  REQUIRE(unstable.has_value());
  REQUIRE(unstable->receipts.size() == 1);
  CHECK(unstable->receipts[0].event_id == "$out2");
}

TEST_CASE("Matrix transaction: malformed bodies and events are refused naming what is wrong") {
  CHECK(read_transaction("{", matrix()).error().reason == "body: not JSON");
  CHECK(read_transaction("{}", matrix()).error().reason == "events: missing");
  CHECK(read_transaction(R"({"events":{}})", matrix()).error().reason == "events: missing");
  auto bad = event("m.room.message", {{"msgtype", "m.text"}, {"body", "x"}});
  bad["sender"] = "inwoner";
  CHECK(read_transaction(transaction(json::array({bad})), matrix()).error().reason == "events: an event without sender, room_id, event_id or content");
  bad = event("m.room.message", "not an object");
  CHECK(!read_transaction(transaction(json::array({bad})), matrix()).has_value());
  bad = event("m.room.message", {{"msgtype", "m.text"}, {"body", "x"}});
  bad["room_id"] = std::string(300, '!');
  CHECK(!read_transaction(transaction(json::array({bad})), matrix()).has_value());
  json many = json::array();
  for (int i = 0; i < 1001; ++i) many.push_back(event("m.room.message", {{"msgtype", "m.text"}, {"body", "x"}}, "@a:b.c", "$" + std::to_string(i)));
  CHECK(read_transaction(transaction(many), matrix()).error().reason == "events: too many in one transaction");
}

TEST_CASE("Matrix out: the send is a PUT with Balie's message id as transaction id, as its bot, ids percent-encoded") {
  auto const r = matrix_send_request(matrix(), "!kamer:gemeente.test", message_id, "Wij hebben uw vraag doorgestuurd.");
  CHECK(r.method == "PUT");
  CHECK(r.url == std::string("https://matrix.gemeente.test/_matrix/client/v3/rooms/%21kamer%3Agemeente.test/send/m.room.message/") + message_id +
                     "?user_id=%40balie%3Agemeente.test");
  CHECK(std::find(r.headers.begin(), r.headers.end(), std::pair<std::string, std::string>{"Authorization", "Bearer as-token-000000"}) != r.headers.end());
  CHECK(json::parse(r.body) == json{{"msgtype", "m.text"}, {"body", "Wij hebben uw vraag doorgestuurd."}});
  auto const join = matrix_join_request(matrix(), "!nieuw:example.org");
  CHECK(join.method == "POST");
  CHECK(join.url == "https://matrix.gemeente.test/_matrix/client/v3/join/%21nieuw%3Aexample.org?user_id=%40balie%3Agemeente.test");
}

TEST_CASE("Matrix out: the homeserver's answers and errors mapped to what the sender does") {
  using k = send_answer::kind;
  auto answer = [](long status, std::string body) {
    channels::outbound_answer a;
    a.status = status;
    a.body = std::move(body);
    return read_matrix_answer(a);
  };
  auto const ok = answer(200, R"({"event_id":"$out1"})");
  CHECK(ok.outcome == k::accepted);
  CHECK(ok.platform_id == "$out1");
  CHECK(answer(200, R"({"room_id":"!nieuw:example.org"})").platform_id == "!nieuw:example.org");
  auto const limited = answer(429, R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":2000})");
  CHECK(limited.outcome == k::retry);
  CHECK(limited.retry_after == std::chrono::milliseconds(2000));
  CHECK(answer(401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid token"})").outcome == k::bad_credentials);
  CHECK(answer(403, R"({"errcode":"M_FORBIDDEN","error":"User not in room"})").outcome == k::failed);
  CHECK(answer(502, "<html>").outcome == k::retry);
  CHECK(answer(0, "").outcome == k::retry);
  CHECK(answer(200, "{}").outcome == k::retry);
}

TEST_CASE("Matrix registration: the homeserver's file names Balie's url, both tokens, its bot and its exclusive namespace") {
  auto const yaml = registration_yaml(matrix(), "http://127.0.0.1:8080", "as-token-000000", "hs-token-000000");
  CHECK(yaml.find("id: \"balie\"\n") != std::string::npos);
  CHECK(yaml.find("url: \"http://127.0.0.1:8080\"\n") != std::string::npos);
  CHECK(yaml.find("as_token: \"as-token-000000\"\n") != std::string::npos);
  CHECK(yaml.find("hs_token: \"hs-token-000000\"\n") != std::string::npos);
  CHECK(yaml.find("sender_localpart: \"balie\"\n") != std::string::npos);
  CHECK(yaml.find("receive_ephemeral: true\n") != std::string::npos);
  // The server's dots are literal in the regex (escaped once for the regex, once more inside the quoted scalar).
  CHECK(yaml.find(R"(regex: "@balie_.*:gemeente\\.test")") != std::string::npos);
  CHECK(yaml.find(R"(regex: "#balie_.*:gemeente\\.test")") != std::string::npos);
}

TEST_CASE("reply rules: a BSN is never asked for on WhatsApp; the 24-hour window with the clock as a parameter") {
  CHECK(mentions_bsn("Wat is uw BSN?"));
  CHECK(mentions_bsn("Stuur ons uw bsn-nummer"));
  CHECK(mentions_bsn("Wilt u uw burgerservicenummer sturen?"));
  CHECK(mentions_bsn("Is 111222333 uw nummer?"));  // passes the 11-proef
  CHECK(!mentions_bsn("Uw container wordt dinsdag geleegd."));
  CHECK(!mentions_bsn("Uw referentie is 123456789."));  // fails the 11-proef
  CHECK(!mentions_bsn("absnt"));
  auto const now = timestamp(std::chrono::hours(24 * 20000));
  CHECK(window_open(now - std::chrono::hours(23) - std::chrono::minutes(59), now));
  CHECK(!window_open(now - std::chrono::hours(24), now));
  CHECK(!window_open(std::nullopt, now));
  CHECK(window_open(now + std::chrono::minutes(1), now));  // a sender's clock ahead of ours
}

TEST_CASE("settings: WhatsApp needs its DPIA reference; at least one platform; Matrix's two tokens differ") {
  balie::test::temp_dir dir;
  for (auto const* name : {"a", "b", "c", "hs", "as"}) std::ofstream(dir.path / name) << "secret-" << name << "-0123456789";
  channels::config_context const ctx{dir.path, dir.path, {"algemeen"}};
  auto const read = [&](json j) -> std::string {
    try {
      channels::object_reader r(j, "/channels/messenger");
      read_messenger_config(r, ctx);
      return "";
    } catch (channels::config_error const& e) {
      return e.path;
    }
  };
  json const wa = {{"app_secret", {{"file", "a"}}}, {"verify_token", {{"file", "b"}}}, {"access_token", {{"file", "c"}}},
                   {"phone_number_id", "106540352242922"}, {"dpia_reference", "DPIA-2026-04"}};
  json const mx = {{"homeserver_url", "http://127.0.0.1:8008"}, {"server_name", "gemeente.test"}, {"hs_token", {{"file", "hs"}}},
                   {"as_token", {{"file", "as"}}}};
  CHECK(read({{"public_base_url", "http://127.0.0.1:8080"}, {"whatsapp", wa}, {"matrix", mx}}).empty());
  auto no_dpia = wa;
  no_dpia.erase("dpia_reference");
  CHECK(read({{"public_base_url", "http://x"}, {"whatsapp", no_dpia}}) == "/channels/messenger/whatsapp/dpia_reference");
  CHECK(read({{"public_base_url", "http://x"}}) == "/channels/messenger");
  auto same = mx;
  same["as_token"] = {{"file", "hs"}};
  CHECK(read({{"public_base_url", "http://x"}, {"matrix", same}}) == "/channels/messenger/matrix/as_token");
  CHECK(read({{"public_base_url", "http://x"}, {"matrix", mx}, {"inbox", "nergens"}}) == "/channels/messenger/inbox");
  CHECK(read({{"public_base_url", "http://x"}, {"matrix", mx}, {"unknown", 1}}) == "/channels/messenger/unknown");
  json const section = {{"public_base_url", "http://x"}, {"matrix", mx}};  // the reader keeps a reference
  channels::object_reader r(section, "/channels/messenger");
  auto const c = read_messenger_config(r, ctx);
  CHECK(!c.enabled);  // off unless an admin switches it on
  CHECK(c.matrix.hs_token_file == dir.path / "hs");
}

TEST_CASE("files: WhatsApp's media id and Matrix's mxc:// URI are read with the declared type and name") {
  auto const n = read_whatsapp(notification({{"messages", {message("document", {{"id", "1234567890"}, {"mime_type", "application/pdf"}, {"filename", "brief.pdf"}})}}}));
  REQUIRE(n.has_value());
  CHECK(n->messages[0].media_ref == "1234567890");
  CHECK(n->messages[0].media_mime == "application/pdf");
  CHECK(n->messages[0].filename == "brief.pdf");
  // A media id is digits: anything else is no reference (the message is kept, the file marked not fetched).
  auto const odd = read_whatsapp(notification({{"messages", {message("image", {{"id", "../../me"}, {"mime_type", "image/jpeg"}})}}}));
  REQUIRE(odd.has_value());
  CHECK(odd->messages[0].media_ref.empty());
  auto const t = read_transaction(transaction(json::array({event("m.room.message",
      {{"msgtype", "m.image"}, {"body", "foto.jpg"}, {"url", "mxc://example.org/AbC123"}, {"info", {{"mimetype", "image/jpeg"}, {"size", 48000}}}})})), matrix());
  REQUIRE(t.has_value());
  CHECK(t->messages[0].media_ref == "mxc://example.org/AbC123");
  CHECK(t->messages[0].media_mime == "image/jpeg");
  CHECK(t->messages[0].filename == "foto.jpg");
}

TEST_CASE("files: the fetch requests, with the platform's token, at most one byte over the limit; hostile mxc URIs refused") {
  auto const info = whatsapp_media_info_request(whatsapp(), "1234567890");
  CHECK(info.method == "GET");
  CHECK(info.url == "http://127.0.0.1:9/v21.0/1234567890");
  channels::outbound_answer a;
  a.status = 200;
  a.body = R"({"url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1","mime_type":"image/jpeg","sha256":"x","file_size":3000,"id":"1234567890","messaging_product":"whatsapp"})";
  auto const where = read_whatsapp_media_info(a, 4096);
  CHECK(where.answer.outcome == media_answer::kind::ok);
  CHECK(where.url == "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1");
  CHECK(read_whatsapp_media_info(a, 2048).answer.outcome == media_answer::kind::too_large);  // declared larger: not fetched at all
  a.body = R"({"url":"file:///etc/passwd"})";
  CHECK(read_whatsapp_media_info(a, 4096).answer.outcome == media_answer::kind::failed);
  auto const download = whatsapp_media_request(whatsapp(), where.url, 4096);
  CHECK(download.max_answer == 4097);
  CHECK(std::find(download.headers.begin(), download.headers.end(), std::pair<std::string, std::string>{"Authorization", "Bearer EAAG-test-token"}) !=
        download.headers.end());

  auto const m = matrix_media_request(matrix(), "mxc://example.org/AbC123", 4096);
  REQUIRE(m);
  CHECK(m->url == "https://matrix.gemeente.test/_matrix/client/v1/media/download/example.org/AbC123?user_id=%40balie%3Agemeente.test");
  CHECK(m->max_answer == 4097);
  for (auto const* bad : {"mxc://example.org/../../admin", "mxc://example.org/a/b", "mxc:///abc", "mxc://example.org/", "https://example.org/abc",
                          "mxc://exa mple.org/abc", "mxc://example.org/abc?x=1"})
    CHECK_MESSAGE(!matrix_media_request(matrix(), bad, 4096), bad);

  using k = media_answer::kind;
  auto answer = [](long status, bool too_large = false) {
    channels::outbound_answer r;
    r.status = status;
    r.too_large = too_large;
    return read_media(r).outcome;
  };
  CHECK(answer(200) == k::ok);
  CHECK(answer(200, true) == k::too_large);
  CHECK(answer(404) == k::failed);
  CHECK(answer(429) == k::retry);
  CHECK(answer(502) == k::retry);
  CHECK(answer(0) == k::retry);
}
