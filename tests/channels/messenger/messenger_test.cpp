// The messenger channel end to end against a real balied and Redis, with a
// fake WhatsApp Cloud API and a fake Matrix homeserver speaking their real
// wire formats (Meta's webhooks signed here with OpenSSL, not with Balie's
// code): WhatsApp's handshake, signed notifications, the privacy notice,
// statuses moving forward only, the 24-hour window and the BSN rule; the
// Matrix application service's token, transactions processed once, invites
// joined, replies idempotent by transaction id, read receipts, edits and
// redactions kept next to the original; and outages of either platform that
// leave phone, email, chat and the other platform working (their latency is
// reported).
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fake_provider.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/mail_servers.hpp"
#include "tests/support/ws_client.hpp"

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr char const* app_secret = "test-whatsapp-app-secret";
constexpr char const* verify_token = "test-verify-token";
constexpr char const* hs_token = "test-hs-token-0001";
constexpr char const* as_token = "test-as-token-0001";
constexpr char const* resident = "+31600000001";
constexpr char const* matrix_resident = "@inwoner:example.org";

std::string hex_hmac(std::string const& key, std::string const& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(data.data()), data.size(), out, &len);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += {digits[out[i] >> 4], digits[out[i] & 15]};
  return hex;
}

long long now_seconds() { return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(); }

header_list as(char const* token) { return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}; }

std::string notification(json value) {
  value["messaging_product"] = "whatsapp";
  value["metadata"] = {{"display_phone_number", "31970102030"}, {"phone_number_id", "106540352242922"}};
  return json{{"object", "whatsapp_business_account"},
              {"entry", {{{"id", "102290129340398"}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}}
      .dump();
}

std::string text_message(std::string const& id, std::string const& text, std::string const& from = resident, long long at = now_seconds()) {
  return notification({{"contacts", {{{"profile", {{"name", "Jan Jansen"}}}, {"wa_id", from.substr(1)}}}},
                       {"messages", {{{"from", from.substr(1)}, {"id", id}, {"timestamp", std::to_string(at)}, {"type", "text"},
                                      {"text", {{"body", text}}}}}}});
}

std::string status(std::string const& case_id, std::string const& message_id, std::string const& s) {
  return notification({{"statuses", {{{"id", "wamid.OUT"}, {"status", s}, {"timestamp", std::to_string(now_seconds())},
                                      {"recipient_id", "31600000001"}, {"biz_opaque_callback_data", case_id + "." + message_id}}}}});
}

json matrix_event(std::string const& type, json content, std::string const& id, std::string const& sender = matrix_resident) {
  return {{"type", type}, {"room_id", "!kamer:gemeente.test"}, {"sender", sender}, {"event_id", id},
          {"origin_server_ts", now_seconds() * 1000}, {"content", content}};
}

/// The bytes of a resident's photo (any bytes: Balie keeps them as they are).
std::string photo(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + 3) & 0xFF);
  return out;
}

/// A fake Graph API: each send gets its own wamid; media id 1001 is a 3000-byte photo at its download URL.
fake_answer graph_ok(recorded_request const& r) {
  static std::atomic<int> n{0};
  if (r.method == "GET" && r.target == "/v21.0/1001")
    return {200, json{{"url", "http://" + r.headers.at("host") + "/download/1001"}, {"mime_type", "image/jpeg"}, {"file_size", 3000},
                      {"id", "1001"}, {"messaging_product", "whatsapp"}}.dump()};
  if (r.method == "GET" && r.target == "/download/1001") return {200, photo(3000)};
  if (r.method == "GET") return {404, R"({"error":{"message":"Unsupported get request","code":100}})"};
  return {200, json{{"messaging_product", "whatsapp"}, {"messages", {{{"id", "wamid.OUT" + std::to_string(++n)}}}}}.dump()};
}

/// A fake homeserver: joins answer the room, sends answer an event id made from the transaction id (so the same
/// transaction is the same event, as on a real homeserver).
fake_answer homeserver_ok(recorded_request const& r) {
  if (r.target.find("/join/") != std::string::npos) return {200, R"({"room_id":"!nieuw:example.org"})"};
  if (r.method == "GET" && r.target.starts_with("/_matrix/client/v1/media/download/example.org/foto1?")) return {200, photo(2000)};
  auto const send = r.target.find("/send/m.room.message/");
  if (r.method == "PUT" && send != std::string::npos) {
    auto txn = r.target.substr(send + 21);
    txn = txn.substr(0, txn.find('?'));
    return {200, json{{"event_id", "$out-" + txn}}.dump()};
  }
  return {404, R"({"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"})"};
}

json overrides(std::filesystem::path const& dir, std::string const& graph, std::string const& homeserver) {
  for (auto const& [file, value] : {std::pair{"app", app_secret}, {"verify", verify_token}, {"access", "EAAG-test-access-token"}, {"hs", hs_token},
                                    {"as", as_token}})
    std::ofstream(dir / file) << value;
  auto const secret = [&](char const* f) { return json{{"file", (dir / f).string()}}; };
  return {{"outbox", {{"block_ms", 100}}},
          {"channels",
           {{"messenger",
             {{"enabled", true},
              {"public_base_url", "http://127.0.0.1:1"},
              {"send_timeout_seconds", 2},
              {"retry_initial_seconds", 1},
              {"breaker_failures", 3},
              {"breaker_cooldown_seconds", 1},
              {"max_file_bytes", 4096},
              {"whatsapp",
               {{"app_secret", secret("app")}, {"verify_token", secret("verify")}, {"access_token", secret("access")},
                {"graph_url", graph + "/v21.0"}, {"phone_number_id", "106540352242922"}, {"dpia_reference", "DPIA-TEST-0001"},
                {"template", {{"name", "balie_reactie"}, {"language", "nl"}, {"text", "Er is een antwoord op uw bericht {{1}}. Stuur ons een bericht terug."}}}}},
              {"matrix",
               {{"homeserver_url", homeserver}, {"server_name", "gemeente.test"}, {"hs_token", secret("hs")}, {"as_token", secret("as")}}}}}}}};
}

struct messenger_stack : test_stack {
  fake_provider& graph;
  fake_provider& homeserver;
  messenger_stack(fake_provider& g, fake_provider& h, bool enabled = true, json extra = json::object())
      : test_stack(make(g, h, enabled, std::move(extra))), graph(g), homeserver(h) {}
  static json make(fake_provider& g, fake_provider& h, bool enabled, json extra) {
    static temp_dir secrets;
    g.respond_with(graph_ok);
    h.respond_with(homeserver_ok);
    auto o = overrides(secrets.path, g.url(), h.url());
    if (!enabled) o["channels"]["messenger"].erase("enabled");  // as shipped: off until an admin switches it on
    o.merge_patch(extra);
    return o;
  }

  http_reply whatsapp(std::string const& body, std::string const& secret = app_secret) {
    return http_call(port(), "POST", "/api/v1/webhooks/messenger/whatsapp",
                     {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", "sha256=" + hex_hmac(secret, body)}}, body);
  }
  http_reply transaction(std::string const& txn, json events, json ephemeral = json::array(), std::string const& token = hs_token) {
    return http_call(port(), "PUT", "/_matrix/app/v1/transactions/" + txn,
                     {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                     json{{"events", events}, {"ephemeral", ephemeral}}.dump());
  }
  json cases() { return json::parse(http_call(port(), "GET", "/api/v1/inboxes/algemeen/cases?state=open", as(staff_token)).body)["cases"]; }
  json view(std::string const& case_id) { return json::parse(http_call(port(), "GET", "/api/v1/cases/" + case_id, as(staff_token)).body); }
  http_reply try_reply(std::string const& case_id, std::string const& text) {
    return http_call(port(), "POST", "/api/v1/cases/" + case_id + "/replies", as(staff_token), json{{"text", text}}.dump());
  }
  std::string reply(std::string const& case_id, std::string const& text) {
    auto const r = try_reply(case_id, text);
    REQUIRE_MESSAGE(r.status == 202, r.body);
    return json::parse(r.body)["message"]["id"].get<std::string>();
  }
  std::string delivery(std::string const& case_id, std::string const& message_id) {
    auto const v = view(case_id);
    for (auto const& m : v["messages"])
      if (m["id"] == message_id) return m["delivery"]["status"].get<std::string>();
    return {};
  }
  json channel() {
    auto const all = json::parse(http_call(port(), "GET", "/api/v1/channels", as(admin_token)).body);
    for (auto const& c : all["channels"])
      if (c["name"] == "messenger") return c;
    return {};
  }
  long long stored() { return inbox_length("algemeen"); }
  /// balied's log lines about the messenger and its outbox, for a failure's message.
  std::string messenger_log() const {
    std::string out;
    for (auto const& line : balied->log())
      if (line.dump().find("messenger") != std::string::npos || line.dump().find("outbox") != std::string::npos) out += line.dump() + "\n";
    return out;
  }
  /// The requests the fake received whose target contains `part`.
  static std::vector<recorded_request> sent_to(fake_provider const& f, std::string const& part) {
    std::vector<recorded_request> out;
    for (auto const& r : f.requests())
      if (r.target.find(part) != std::string::npos) out.push_back(r);
    return out;
  }
};

} // namespace

TEST_CASE("WhatsApp: the handshake, a signed message becomes a case with the privacy notice and acknowledgement; forged, unsigned and replayed ones store nothing") {
  fake_provider graph, homeserver;
  messenger_stack s(graph, homeserver);
  auto const hub = [&](std::string const& token) {
    return http_call(s.port(), "GET", "/api/v1/webhooks/messenger/whatsapp?hub.mode=subscribe&hub.verify_token=" + token + "&hub.challenge=1158201444", {});
  };
  auto const ok = hub(verify_token);
  CHECK(ok.status == 200);
  CHECK(ok.body == "1158201444");
  CHECK(hub("wrong-token").status == 403);

  auto const body = text_message("wamid.IN1", "Wanneer wordt het grofvuil opgehaald?");
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/messenger/whatsapp", {{"Content-Type", "application/json"}}, body).status == 401);
  CHECK(s.whatsapp(body, "another-app-secret").status == 401);
  // Signed for other bytes: the same JSON re-serialised with its ö escaped.
  auto const signed_other = text_message("wamid.IN1", "Wanneer wordt het grofvuil opgehaald? Jörg");
  auto escaped = signed_other;
  escaped.replace(escaped.find("Jörg"), std::string("Jörg").size(), "J\\u00f6rg");
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/messenger/whatsapp",
                  {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", "sha256=" + hex_hmac(app_secret, signed_other)}}, escaped)
            .status == 401);
  CHECK(s.stored() == 0);

  REQUIRE(s.whatsapp(body).status == 200);
  CHECK(s.stored() == 1);
  auto const c = s.cases().at(0);
  CHECK(c["channel"] == "messenger");
  auto const v = s.view(c["id"]);
  auto const& m = v["messages"][0];
  CHECK(m["provider"] == "whatsapp");
  CHECK(m["provider_message_id"] == "wamid.IN1");
  CHECK(m["resident"]["addresses"][0] == json{{"kind", "whatsapp"}, {"value", resident}});
  CHECK(m["resident"]["name"] == "Jan Jansen");
  CHECK(m["text"] == "Wanneer wordt het grofvuil opgehaald?");

  // The privacy notice (first contact) and the acknowledgement leave through the Graph API.
  REQUIRE_MESSAGE(graph.wait_for(2, std::chrono::seconds(10)), s.messenger_log());
  auto const sent = graph.requests();
  std::vector<std::string> texts;
  for (auto const& r : sent) {
    CHECK(r.target == "/v21.0/106540352242922/messages");
    CHECK(r.headers.at("authorization") == "Bearer EAAG-test-access-token");
    auto const j = json::parse(r.body);
    CHECK(j["to"] == "31600000001");
    texts.push_back(j["text"]["body"].get<std::string>());
  }
  CHECK(std::count_if(texts.begin(), texts.end(), [](auto const& t) { return t.find("Meta") != std::string::npos && t.find("BSN") != std::string::npos; }) == 1);
  CHECK(std::count_if(texts.begin(), texts.end(), [&](auto const& t) { return t.find(c["reference"].get<std::string>()) != std::string::npos; }) == 1);

  // Meta sends it again (it retries until a 2xx): one message, no second notice.
  CHECK(s.whatsapp(body).status == 200);
  CHECK(s.stored() == 1);
  // A next message joins the case; the notice is for the first contact only, the acknowledgement for a new case.
  REQUIRE(s.whatsapp(text_message("wamid.IN2", "Het gaat om de Dorpsstraat.")).status == 200);
  CHECK(s.cases().size() == 1);
  CHECK(s.view(c["id"])["messages"].size() == 4);
  REQUIRE(eventually([&] { return s.balied->wait_for_event("messenger.sent", 2, std::chrono::seconds(1)); }));
  CHECK(graph.requests().size() == 2);

  // Types Balie cannot carry are counted, and the notification is still accepted.
  auto const location = notification({{"messages", {{{"from", "31600000001"}, {"id", "wamid.LOC"}, {"timestamp", std::to_string(now_seconds())},
                                                     {"type", "location"}, {"location", {{"latitude", 52.0}, {"longitude", 5.0}}}}}}});
  CHECK(s.whatsapp(location).status == 200);
  CHECK(s.stored() == 2);
  auto const metrics = http_call(s.port(), "GET", "/metrics", {}).body;
  CHECK(metrics.find(R"(channel="messenger",provider="whatsapp",reason="unsupported-type")") != std::string::npos);
  // Malformed after a valid signature: refused for what it is.
  CHECK(s.whatsapp(R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"x"}]}}]}]})").status == 400);
  CHECK(s.whatsapp("not json").status == 400);
  // Larger than any request balied takes: refused before it is read, for either platform.
  auto const huge = std::string(6 * 1024 * 1024, 'x');
  CHECK(s.whatsapp(huge).status == 413);
  CHECK(http_call(s.port(), "PUT", "/_matrix/app/v1/transactions/huge", {{"Authorization", std::string("Bearer ") + hs_token}}, huge).status == 413);
  CHECK(s.stored() == 2);
}

TEST_CASE("WhatsApp replies: inside the window as text with Balie's ids; statuses forward only; a BSN and a closed window refused with why") {
  fake_provider graph, homeserver;
  messenger_stack s(graph, homeserver);
  REQUIRE(s.whatsapp(text_message("wamid.R1", "Mijn container is niet geleegd.")).status == 200);
  auto const case_id = s.cases().at(0)["id"].get<std::string>();
  REQUIRE(graph.wait_for(2));
  auto const id = s.reply(case_id, "Wij komen hem morgen legen.");
  REQUIRE(graph.wait_for(3));
  auto const out = json::parse(graph.requests()[2].body);
  CHECK(out["text"]["body"] == "Wij komen hem morgen legen.");
  CHECK(out["biz_opaque_callback_data"] == case_id + "." + id);
  REQUIRE(eventually([&] { return s.delivery(case_id, id) == "sent"; }));

  // Statuses arrive out of order and twice: the status only moves forward.
  CHECK(s.whatsapp(status(case_id, id, "read")).status == 200);
  CHECK(s.delivery(case_id, id) == "read");
  CHECK(s.whatsapp(status(case_id, id, "delivered")).status == 200);
  CHECK(s.whatsapp(status(case_id, id, "sent")).status == 200);
  CHECK(s.delivery(case_id, id) == "read");
  // A status for a message that is not Balie's is answered (or Meta sends it for days) and changes nothing.
  CHECK(s.whatsapp(notification({{"statuses", {{{"id", "wamid.X"}, {"status", "delivered"}, {"recipient_id", "31600000009"}}}}})).status == 200);

  // Never a BSN on WhatsApp.
  for (auto const* text : {"Wat is uw BSN?", "Stuur ons uw burgerservicenummer.", "Klopt 111222333?"}) {
    auto const r = s.try_reply(case_id, text);
    CHECK(r.status == 400);
    CHECK(r.body.find("BSN") != std::string::npos);
  }
  // A resident whose last message is 25 hours old: free text is refused before it is queued, and staff are told why.
  REQUIRE(s.whatsapp(text_message("wamid.OLD", "Een oude vraag", "+31600000002", now_seconds() - 25 * 3600)).status == 200);
  std::string old_case;
  for (auto const& c : s.cases())
    if (c["id"] != case_id) old_case = c["id"];
  REQUIRE(!old_case.empty());
  auto const late = s.try_reply(old_case, "Hier is ons antwoord.");
  CHECK(late.status == 400);
  CHECK(late.body.find("24 hours") != std::string::npos);
  CHECK(late.body.find("template") != std::string::npos);
  // Each resident's notice and acknowledgement, and the one reply: nothing refused was queued.
  CHECK(s.redis.integer({"XLEN", queue::keys::outbound("messenger")}) == 5);

  // The approved template may go outside the window: Meta's template message, the reference as its parameter.
  auto const before = graph.requests().size();
  auto const tpl = http_call(s.port(), "POST", "/api/v1/cases/" + old_case + "/replies", as(staff_token), json{{"template", "balie_reactie"}}.dump());
  REQUIRE_MESSAGE(tpl.status == 202, tpl.body);
  auto const shown = json::parse(tpl.body)["message"];
  auto const reference = s.view(old_case)["reference"].get<std::string>();
  CHECK(shown["text"] == "Er is een antwoord op uw bericht " + reference + ". Stuur ons een bericht terug.");
  REQUIRE(eventually([&] { return s.delivery(old_case, shown["id"]) == "sent"; }));
  auto const requests = graph.requests();
  REQUIRE(requests.size() > before);
  auto const sent_template = json::parse(requests.back().body);
  CHECK(sent_template["type"] == "template");
  CHECK(sent_template["template"]["name"] == "balie_reactie");
  CHECK(sent_template["template"]["components"][0]["parameters"][0]["text"] == reference);
  // Any other name, a text with it, or a template to another channel is refused.
  CHECK(http_call(s.port(), "POST", "/api/v1/cases/" + old_case + "/replies", as(staff_token), json{{"template", "iets_anders"}}.dump()).status == 400);
  CHECK(http_call(s.port(), "POST", "/api/v1/cases/" + old_case + "/replies", as(staff_token),
                  json{{"template", "balie_reactie"}, {"text", "Eigen tekst"}}.dump())
            .status == 400);
}

TEST_CASE("Matrix: the homeserver's token; a transaction once; an invite joined; replies by transaction id; receipts; edits and redactions kept") {
  fake_provider graph, homeserver;
  messenger_stack s(graph, homeserver);
  json const first = {
      json{{"type", "m.room.member"}, {"room_id", "!kamer:gemeente.test"}, {"sender", matrix_resident}, {"event_id", "$inv"},
           {"state_key", "@balie:gemeente.test"}, {"content", {{"membership", "invite"}}}},
      matrix_event("m.room.message", {{"msgtype", "m.text"}, {"body", "De stoep bij nummer 4 is kapot."}}, "$e1")};
  CHECK(http_call(s.port(), "PUT", "/_matrix/app/v1/transactions/t1", {{"Content-Type", "application/json"}}, json{{"events", first}}.dump()).status == 401);
  auto const wrong = s.transaction("t1", first, json::array(), "wrong-hs-token-00");
  CHECK(wrong.status == 403);
  CHECK(json::parse(wrong.body)["errcode"] == "M_FORBIDDEN");
  for (auto const* token : {staff_token, admin_token, system_token}) CHECK(s.transaction("t1", first, json::array(), token).status == 403);
  CHECK(s.stored() == 0);
  CHECK(homeserver.requests().empty());

  auto const r1 = s.transaction("t1", first);
  REQUIRE(r1.status == 200);
  CHECK(json::parse(r1.body) == json::object());
  auto const joins = messenger_stack::sent_to(homeserver, "/_matrix/client/v3/join/%21kamer%3Agemeente.test");
  REQUIRE(joins.size() == 1);
  CHECK(joins[0].headers.at("authorization") == std::string("Bearer ") + as_token);
  CHECK(joins[0].target.find("user_id=%40balie%3Agemeente.test") != std::string::npos);
  REQUIRE(s.stored() == 1);
  auto const case_id = s.cases().at(0)["id"].get<std::string>();
  auto const v = s.view(case_id);
  CHECK(v["messages"][0]["resident"]["addresses"][0] == json{{"kind", "matrix"}, {"value", matrix_resident}});
  auto const original_id = v["messages"][0]["id"].get<std::string>();

  // The same transaction id again, even with other contents: answered, not processed again.
  auto const again = json::array({matrix_event("m.room.message", {{"msgtype", "m.text"}, {"body", "Nog iets"}}, "$e-other")});
  CHECK(s.transaction("t1", again).status == 200);
  CHECK(s.stored() == 1);
  // Balie's own echo and unknown types are skipped.
  CHECK(s.transaction("t2", json::array({matrix_event("m.room.message", {{"msgtype", "m.text"}, {"body", "echo"}}, "$own", "@balie:gemeente.test"),
                             matrix_event("m.room.encrypted", {{"algorithm", "m.megolm.v1.aes-sha2"}}, "$enc")}))
            .status == 200);
  CHECK(s.stored() == 1);

  // A reply: into the room, with the message id as transaction id; the acknowledgement went first.
  auto const id = s.reply(case_id, "Wij sturen iemand om het te bekijken.");
  REQUIRE(eventually([&] { return s.delivery(case_id, id) == "sent"; }));
  auto const sends = messenger_stack::sent_to(homeserver, "/send/m.room.message/" + id);
  REQUIRE(sends.size() == 1);
  CHECK(sends[0].method == "PUT");
  CHECK(sends[0].target.find("/rooms/%21kamer%3Agemeente.test/") != std::string::npos);
  CHECK(json::parse(sends[0].body) == json{{"msgtype", "m.text"}, {"body", "Wij sturen iemand om het te bekijken."}});
  // The resident read it.
  auto const receipt = json::array({{{"type", "m.receipt"}, {"room_id", "!kamer:gemeente.test"},
                                     {"content", {{"$out-" + id, {{"m.read", {{matrix_resident, {{"ts", now_seconds() * 1000}}}}}}}}}}});
  REQUIRE_MESSAGE(s.transaction("t3", json::array(), receipt).status == 200, s.messenger_log());
  CHECK(s.delivery(case_id, id) == "read");

  // An edit and a redaction: their own entries, naming the original, which stays as it was.
  auto const changes = json::array({matrix_event("m.room.message",
                                                 {{"msgtype", "m.text"}, {"body", "* De stoep bij nummer 6 is kapot."},
                                                  {"m.new_content", {{"msgtype", "m.text"}, {"body", "De stoep bij nummer 6 is kapot."}}},
                                                  {"m.relates_to", {{"rel_type", "m.replace"}, {"event_id", "$e1"}}}},
                                                 "$edit1"),
                                    matrix_event("m.room.redaction", {{"redacts", "$e1"}}, "$red1")});
  REQUIRE(s.transaction("t4", changes).status == 200);
  auto const after = s.view(case_id);
  std::vector<json> inbound;
  for (auto const& m : after["messages"])
    if (m["direction"] == "inbound") inbound.push_back(m);
  REQUIRE(inbound.size() == 3);
  CHECK(inbound[0]["text"] == "De stoep bij nummer 4 is kapot.");
  CHECK(inbound[1]["text"] == "De stoep bij nummer 6 is kapot.");
  CHECK(inbound[1]["in_reply_to"] == original_id);
  CHECK(inbound[1]["parse_warnings"] == json{"messenger-edit"});
  CHECK(inbound[2]["in_reply_to"] == original_id);
  CHECK(inbound[2]["parse_warnings"] == json{"messenger-redaction"});
}

/// The median and largest of a list of durations, in words for the test's output.
std::string spread(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return "median " + std::to_string(ms[ms.size() / 2]) + " ms, max " + std::to_string(ms.back()) + " ms (" + std::to_string(ms.size()) + ")";
}

TEST_CASE("outages: a platform that hangs, fails, limits or refuses Balie's token shows in health; phone, email, chat and the other platform go on") {
  fake_provider graph, homeserver;
  auto const lmtp_port = free_loopback_port();
  json const email = {{"channels", {{"email", {{"enabled", true}, {"domain", "gemeente.test"}, {"addresses", {{"info@gemeente.test", "algemeen"}}},
                                                {"lmtp", {{"address", "127.0.0.1"}, {"port", lmtp_port}}},
                                                {"smtp", {{"url", "smtp://127.0.0.1:9"}, {"require_tls", false}}},
                                                {"acknowledge", {{"enabled", false}}}}}}}};
  messenger_stack s(graph, homeserver, true, email);
  REQUIRE(s.whatsapp(text_message("wamid.O1", "Vraag over parkeren")).status == 200);
  REQUIRE(s.transaction("o1", json::array({matrix_event("m.room.message", {{"msgtype", "m.text"}, {"body", "Vraag over afval"}}, "$o1")})).status == 200);
  REQUIRE(graph.wait_for(2));
  REQUIRE(eventually([&] { return messenger_stack::sent_to(homeserver, "/send/").size() == 1; }));  // the Matrix acknowledgement
  CHECK(s.channel()["dpia_reference"] == "DPIA-TEST-0001");
  CHECK(s.channel()["health"]["state"] == "up");

  // The Graph API takes each request and never answers.
  graph.hang(true);
  std::string wa_case, mx_case;
  for (auto const& c : s.cases()) (c["channel"] == "messenger" && s.view(c["id"])["messages"][0]["provider"] == "whatsapp" ? wa_case : mx_case) = c["id"];
  auto const waiting = s.reply(wa_case, "Dit antwoord blijft hangen.");
  REQUIRE(graph.wait_for(3));
  // Meanwhile phone transcripts, mail and chat messages are taken as fast as ever.
  auto const since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  std::vector<double> phone, mail, chat;
  for (int i = 0; i < 20; ++i) {
    auto doc = json::parse(read_fixture("phone/call-balie.json"));
    doc["call_id"] = "outage-" + std::to_string(i);
    auto const started = std::chrono::steady_clock::now();
    CHECK(http_call(s.port(), "POST", "/api/v1/transcripts", as(system_token), doc.dump()).status == 202);
    phone.push_back(since(started));
  }
  for (int i = 0; i < 10; ++i) {
    auto const started = std::chrono::steady_clock::now();
    auto const replies = raw_exchange(static_cast<std::uint16_t>(lmtp_port),
                                      "LHLO mx.gemeente.test\r\nMAIL FROM:<jan@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\n"
                                      "From: Jan <jan@burger.test>\r\nTo: info@gemeente.test\r\nSubject: Vraag " + std::to_string(i) +
                                          "\r\nMessage-ID: <outage-" + std::to_string(i) + "@burger.test>\r\n\r\nHallo\r\n.\r\nQUIT\r\n");
    mail.push_back(since(started));
    CHECK(replies.find("250 2.0.0") != std::string::npos);
  }
  auto const session = json::parse(http_call(s.port(), "POST", "/api/v1/chat/sessions",
                                             {{"Origin", "http://127.0.0.1:" + std::to_string(s.port())}, {"Content-Type", "application/json"}},
                                             R"({"lang":"nl"})").body);
  ws_client ws(s.port(), "http://127.0.0.1:" + std::to_string(s.port()));
  REQUIRE(ws.refused_status() == 0);
  REQUIRE(ws.send(json{{"v", 1}, {"type", "hello"}, {"token", session["token"]}, {"last_seq", 0}}.dump()));
  REQUIRE(ws.receive());  // welcome
  for (int i = 0; i < 10; ++i) {
    auto const started = std::chrono::steady_clock::now();
    REQUIRE(ws.send(json{{"v", 1}, {"type", "message"}, {"client_id", "c-" + std::to_string(i)}, {"text", "Chatvraag"}}.dump()));
    for (;;) {  // the ack, past the conversation's own echo of earlier messages
      auto const frame = ws.receive();
      REQUIRE(frame);
      if (json::parse(*frame)["type"] == "ack") break;
    }
    chat.push_back(since(started));
  }
  MESSAGE("during a hanging Graph API: phone " << spread(phone) << "; email (LMTP) " << spread(mail) << "; chat " << spread(chat));
  REQUIRE(eventually([&] { return s.channel()["health"]["state"] == "degraded"; }));
  CHECK(s.channel()["health"]["reason"].get<std::string>().find("whatsapp") != std::string::npos);
  CHECK(s.delivery(wa_case, waiting) == "queued");

  // Matrix replies still leave (after the WhatsApp call's timeout at most).
  auto const mx_reply = s.reply(mx_case, "Matrix werkt nog.");
  REQUIRE(eventually([&] { return s.delivery(mx_case, mx_reply) == "sent"; }));

  // The Graph API answers 500: retried with backoff, never a dead letter at once.
  graph.hang(false);
  graph.respond_with([](recorded_request const&) { return fake_answer{500, R"({"error":{"message":"Service unavailable","code":2}})"}; });
  REQUIRE(eventually([&] { return graph.requests().size() >= 4; }));
  CHECK(s.delivery(wa_case, waiting) == "queued");
  // A rate limit with Retry-After: still queued, with the reason for staff.
  graph.respond_with([](recorded_request const& r) {
    return r.method == "GET" ? graph_ok(r) : fake_answer{429, R"({"error":{"message":"Rate limit hit","code":130429}})", {{"Retry-After", "1"}}};
  });
  REQUIRE(eventually([&] {
    auto const v = s.view(wa_case);
    for (auto const& m : v["messages"])
      if (m["id"] == waiting) return m["delivery"].value("last_error", "").find("error 130429") != std::string::npos;
    return false;
  }));
  CHECK(s.delivery(wa_case, waiting) == "queued");
  // Back: the held reply goes out.
  graph.respond_with(graph_ok);
  REQUIRE(eventually([&] { return s.delivery(wa_case, waiting) == "sent"; }, std::chrono::seconds(60)));

  // The homeserver refuses Balie's token: bad-credentials, and nothing is lost.
  homeserver.respond_with([](recorded_request const&) { return fake_answer{401, R"({"errcode":"M_UNKNOWN_TOKEN","error":"Invalid token"})"}; });
  auto const refused = s.reply(mx_case, "Dit wacht op een nieuw token.");
  REQUIRE(eventually([&] { return s.channel()["health"]["state"] == "bad-credentials"; }));
  CHECK(s.delivery(mx_case, refused) == "queued");
  homeserver.respond_with(homeserver_ok);
  REQUIRE(eventually([&] { return s.delivery(mx_case, refused) == "sent"; }, std::chrono::seconds(60)));
  REQUIRE(eventually([&] { return s.channel()["health"]["state"] == "up"; }));
}

TEST_CASE("switches: off until an admin enables it (messages are filed, marked, and answered with the notice); a platform off gets 503, the other goes on") {
  fake_provider graph, homeserver;
  messenger_stack s(graph, homeserver, false);
  auto const before = s.channel();
  CHECK(before["enabled"] == false);
  CHECK(before["dpia_reference"] == "DPIA-TEST-0001");
  // Off: Meta is still answered 200 (it would disable the webhook), the message is kept for a person, and the resident told.
  REQUIRE(s.whatsapp(text_message("wamid.S0", "Is er iemand?")).status == 200);
  REQUIRE(s.stored() == 1);
  auto const c = s.cases().at(0);
  CHECK(s.view(c["id"])["messages"][0]["received_while_off"] == true);
  REQUIRE(graph.wait_for(2));
  bool noticed = false;
  for (auto const& r : graph.requests()) noticed = noticed || json::parse(r.body)["text"]["body"].get<std::string>().find("deze app") != std::string::npos;
  CHECK(noticed);

  auto const on = http_call(s.port(), "PUT", "/api/v1/channels/messenger", as(admin_token), json{{"enabled", true}, {"reason", "DPIA akkoord"}}.dump());
  REQUIRE_MESSAGE(on.status == 200, on.body);
  auto const off = http_call(s.port(), "PUT", "/api/v1/channels/messenger/whatsapp", as(admin_token),
                             json{{"enabled", false}, {"reason", "Storing bij Meta"}}.dump());
  REQUIRE_MESSAGE(off.status == 200, off.body);
  REQUIRE(eventually([&] { return s.whatsapp(text_message("wamid.S1", "Hallo")).status == 503; }));
  CHECK(s.transaction("s1", json::array({matrix_event("m.room.message", {{"msgtype", "m.text"}, {"body", "Hallo"}}, "$s1")})).status == 200);
  CHECK(s.stored() == 2);
  REQUIRE(eventually([&] { return s.channel()["health"]["state"] == "degraded"; }));
}

TEST_CASE("files: a WhatsApp photo and a Matrix image are fetched with the platform's token, kept, and downloadable; too large, gone or failing") {
  fake_provider graph, homeserver;
  messenger_stack s(graph, homeserver);
  auto const media = [](std::string const& id, std::string const& media_id) {
    return notification({{"messages", {{{"from", "31600000031"}, {"id", id}, {"timestamp", std::to_string(now_seconds())}, {"type", "image"},
                                        {"image", {{"id", media_id}, {"mime_type", "image/jpeg"}, {"caption", "De kapotte lantaarn"}}}}}}});
  };
  REQUIRE(s.whatsapp(media("wamid.F1", "1001")).status == 200);
  auto const c = s.cases().at(0);
  auto const m = s.view(c["id"])["messages"][0];
  CHECK(m["text"] == "De kapotte lantaarn");
  REQUIRE(m["attachments"].size() == 1);
  auto const& a = m["attachments"][0];
  CHECK(a["size"] == 3000);
  CHECK(a["content_type"] == "image/jpeg");
  CHECK(a["filename"] == "bestand-image");
  auto const info = messenger_stack::sent_to(graph, "/v21.0/1001");
  REQUIRE(info.size() == 1);
  CHECK(info[0].headers.at("authorization") == "Bearer EAAG-test-access-token");
  CHECK(messenger_stack::sent_to(graph, "/download/1001").at(0).headers.at("authorization") == "Bearer EAAG-test-access-token");
  auto const download = http_call(s.port(), "GET", "/api/v1/cases/" + c["id"].get<std::string>() + "/attachments/" + a["sha256"].get<std::string>(),
                                  as(staff_token));
  CHECK(download.status == 200);
  CHECK(download.body == photo(3000));

  // Gone at Meta (404): the message is kept, and staff are told the file could not be fetched.
  REQUIRE(s.whatsapp(media("wamid.F2", "2002")).status == 200);
  auto const gone = s.view(c["id"])["messages"];
  bool marked = false;
  for (auto const& x : gone) marked = marked || (x["provider_message_id"] == "wamid.F2" && x["parse_warnings"] == json{"file-not-fetched"});
  CHECK(marked);

  // The media API fails for now: nothing is stored, Meta is asked to send it again; then it works.
  graph.respond_with([](recorded_request const& r) {
    return r.method == "GET" ? fake_answer{503, R"({"error":{"message":"Service unavailable","code":2}})"} : graph_ok(r);
  });
  auto const before = s.stored();
  CHECK(s.whatsapp(media("wamid.F3", "1001")).status == 503);
  CHECK(s.stored() == before);
  graph.respond_with(graph_ok);
  CHECK(s.whatsapp(media("wamid.F3", "1001")).status == 200);
  CHECK(s.stored() == before + 1);

  // Matrix: through the homeserver's authenticated media API as Balie's bot; over max_file_bytes (4096): not kept.
  auto const image = [](std::string const& id, std::string const& mxc) {
    return json::array({matrix_event("m.room.message", {{"msgtype", "m.image"}, {"body", "foto.jpg"}, {"url", mxc}, {"info", {{"mimetype", "image/jpeg"}}}}, id)});
  };
  REQUIRE(s.transaction("f1", image("$f1", "mxc://example.org/foto1")).status == 200);
  auto const fetched = messenger_stack::sent_to(homeserver, "/_matrix/client/v1/media/download/example.org/foto1");
  REQUIRE(fetched.size() == 1);
  CHECK(fetched[0].headers.at("authorization") == std::string("Bearer ") + as_token);
  homeserver.respond_with([](recorded_request const& r) {
    return r.method == "GET" ? fake_answer{200, photo(5000)} : homeserver_ok(r);
  });
  REQUIRE(s.transaction("f2", image("$f2", "mxc://example.org/groot")).status == 200);
  std::string mx_case;
  for (auto const& x : s.cases())
    if (x["id"] != c["id"]) mx_case = x["id"];
  auto const mx = s.view(mx_case)["messages"];
  std::vector<json> in;
  for (auto const& x : mx)
    if (x["direction"] == "inbound") in.push_back(x);
  REQUIRE(in.size() == 2);
  CHECK(in[0]["attachments"].size() == 1);
  CHECK(in[0]["attachments"][0]["filename"] == "foto.jpg");
  CHECK(in[0]["attachments"][0]["size"] == 2000);
  CHECK(in[1]["attachments"].empty());
  CHECK(in[1]["parse_warnings"] == json{"file-too-large"});
}

namespace {

constexpr char const* cm_secret = "test-cm-path-secret-01";
constexpr char const* twilio_token = "test-twilio-auth-token-01";
constexpr char const* twilio_account = "AC0123456789abcdef0123456789abcdef";

/// Twilio's signature as its documentation defines it, computed here with OpenSSL:
/// base64(HMAC-SHA1(auth token, URL + each field's name and value, sorted by name)).
std::string twilio_signature(std::string const& url, std::vector<std::pair<std::string, std::string>> fields) {
  std::sort(fields.begin(), fields.end());
  auto data = url;
  for (auto const& [k, v] : fields) data += k + v;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha1(), twilio_token, static_cast<int>(std::strlen(twilio_token)), reinterpret_cast<unsigned char const*>(data.data()), data.size(),
       mac, &len);
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len))));
  return out;
}

/// application/x-www-form-urlencoded, written out here rather than by Balie's encoder.
std::string form(std::vector<std::pair<std::string, std::string>> const& fields) {
  std::string out;
  for (auto const& [k, v] : fields) {
    out += (out.empty() ? "" : "&") + k + "=";
    for (unsigned char c : v) {
      if (std::isalnum(c)) out += static_cast<char>(c);
      else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      }
    }
  }
  return out;
}

json cm_inbound(std::string const& reference, std::string const& text, std::string const& channel = "WhatsApp") {
  // CM writes the time in UTC without a zone; now, or the 24-hour window would already be closed.
  auto const now = static_cast<std::time_t>(now_seconds());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char at[32];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &utc);
  return {{"reference", reference}, {"messageContext", ""}, {"from", {{"number", "+31600000003"}, {"name", "Piet Pieters"}}},
          {"to", {{"number", "+3197010203040"}}}, {"message", {{"text", text}}}, {"groupings", {"", "", ""}},
          {"timeUtc", at}, {"channel", channel}};
}

json cm_report(std::string const& case_id, std::string const& message_id, int code) {
  return {{"messages", {{"msg", {{"received", "2026-11-28T09:00:01"}, {"to", "0031600000003"}, {"reference", case_id + "." + message_id},
                                 {"status", {{"code", code}, {"errorCode", ""}, {"errorDescription", ""}}}, {"operator", ""}}}}}};
}

} // namespace

TEST_CASE("WhatsApp through CM: its JSON at the messenger's own URL becomes a case; replies and the notice go through CM; its reports move the status") {
  fake_provider graph, homeserver, cm;
  cm.respond_with([](recorded_request const&) { return fake_answer{200, R"j({"details":"Created 1 message(s)","errorCode":0})j"}; });
  temp_dir secrets;
  std::ofstream(secrets.path / "cm") << cm_secret;
  std::ofstream(secrets.path / "cm-token") << "test-cm-product-token";
  json const extra = {{"channels", {{"messenger", {{"whatsapp", {{"via", "cm"}, {"cm", {{"path_secret", {{"file", (secrets.path / "cm").string()}}},
                                                                                    {"allowed_sources", {"127.0.0.1"}},
                                                                                    {"api_url", cm.url()},
                                                                                    {"product_token", {{"file", (secrets.path / "cm-token").string()}}},
                                                                                    {"from", "+3197010203040"},
                                                                                    {"template_namespace", "gemeente_ns"}}}}}}}}}};
  messenger_stack s(graph, homeserver, true, extra);
  auto const post = [&](std::string const& path, json const& body) {
    return http_call(s.port(), "POST", "/api/v1/webhooks/messenger/cm/" + path, {{"Content-Type", "application/json"}}, body.dump());
  };
  // Hostile first: a wrong secret, an SMS sent to the messenger's URL, a broken body — nothing stored.
  CHECK(post("wrong-secret-000000", cm_inbound("cm-1", "Hallo")).status == 403);
  CHECK(post(cm_secret, cm_inbound("cm-1", "Hallo", "SMS")).status == 400);
  CHECK(http_call(s.port(), "POST", std::string("/api/v1/webhooks/messenger/cm/") + cm_secret, {{"Content-Type", "application/json"}}, "{\"refer").status == 400);
  CHECK(s.stored() == 0);

  REQUIRE(post(cm_secret, cm_inbound("cm-1", "Wanneer wordt het grofvuil opgehaald?")).status == 200);
  CHECK(post(cm_secret, cm_inbound("cm-1", "Wanneer wordt het grofvuil opgehaald?")).status == 200);  // CM's retry: once
  REQUIRE(s.stored() == 1);
  auto const case_id = s.cases().at(0)["id"].get<std::string>();
  auto const first = s.view(case_id)["messages"][0];
  CHECK(first["provider"] == "whatsapp-cm");
  CHECK(first["resident"]["addresses"][0] == json{{"kind", "whatsapp"}, {"value", "+31600000003"}});
  CHECK(first["resident"]["name"] == "Piet Pieters");
  // The privacy notice and the acknowledgement go out through CM, on WhatsApp only, not through Meta.
  REQUIRE(cm.wait_for(2));
  for (auto const& r : cm.requests()) {
    auto const msg = json::parse(r.body)["messages"]["msg"][0];
    CHECK(r.target == "/v1.0/message");
    CHECK(msg["allowedChannels"] == json::array({"WhatsApp"}));
    CHECK(msg["to"][0]["number"] == "0031600000003");
  }
  CHECK(graph.requests().empty());

  auto const id = s.reply(case_id, "Wij komen hem dinsdag ophalen.");
  REQUIRE(cm.wait_for(3));
  auto const sent = json::parse(cm.requests()[2].body);
  CHECK(sent["messages"]["authentication"]["producttoken"] == "test-cm-product-token");
  CHECK(sent["messages"]["msg"][0]["body"]["content"] == "Wij komen hem dinsdag ophalen.");
  CHECK(sent["messages"]["msg"][0]["reference"] == case_id + "." + id);
  REQUIRE_MESSAGE(eventually([&] { return s.delivery(case_id, id) == "sent"; }), s.messenger_log());
  // CM's reports on their own URL: read (4), then a late delivered (2) that must not move it back.
  CHECK(post(std::string(cm_secret) + "/status", cm_report(case_id, id, 4)).status == 200);
  CHECK(s.delivery(case_id, id) == "read");
  CHECK(post(std::string(cm_secret) + "/status", cm_report(case_id, id, 2)).status == 200);
  CHECK(s.delivery(case_id, id) == "read");
  CHECK(post("wrong-secret-000000/status", cm_report(case_id, id, 3)).status == 403);
  CHECK(s.delivery(case_id, id) == "read");
  // A report for someone else's message is answered (or CM sends it for a week) and changes nothing.
  CHECK(post(std::string(cm_secret) + "/status", json{{"messages", {{"msg", {{"reference", "iets-anders"}, {"status", {{"code", 2}}}}}}}}).status == 200);
}

TEST_CASE("WhatsApp through Twilio: only signed posts are believed; replies go as whatsapp: messages; status callbacks; 63016 says the window closed") {
  fake_provider graph, homeserver, twilio;
  std::atomic<bool> window_closed{false};
  twilio.respond_with([&](recorded_request const&) {
    if (window_closed) return fake_answer{400, R"({"code":63016,"message":"Failed to send freeform message because you are outside the allowed window.","status":400})"};
    return fake_answer{201, R"({"sid":"SM00000000000000000000000000000001","status":"queued"})"};
  });
  temp_dir secrets;
  std::ofstream(secrets.path / "twilio") << twilio_token;
  json const extra = {{"channels", {{"messenger", {{"whatsapp", {{"via", "twilio"}, {"twilio", {{"auth_token", {{"file", (secrets.path / "twilio").string()}}},
                                                                                            {"api_url", twilio.url()},
                                                                                            {"account", twilio_account},
                                                                                            {"from", "+3197010203040"},
                                                                                            {"content_sid", "HX0123456789abcdef0123456789abcdef"}}}}}}}}}};
  messenger_stack s(graph, homeserver, true, extra);
  auto const post = [&](std::string const& target, std::vector<std::pair<std::string, std::string>> const& fields, std::string signature) {
    header_list h{{"Content-Type", "application/x-www-form-urlencoded"}};
    if (!signature.empty()) h.emplace_back("X-Twilio-Signature", signature);
    return http_call(s.port(), "POST", target, h, form(fields));
  };
  std::vector<std::pair<std::string, std::string>> const message{
      {"MessageSid", "SM0123456789abcdef0123456789abcdef"}, {"AccountSid", twilio_account}, {"From", "whatsapp:+31600000004"},
      {"To", "whatsapp:+3197010203040"}, {"Body", "Mijn paspoort is verlopen, wat nu?"}, {"ProfileName", "Kees de Vries"}, {"NumMedia", "0"}};
  std::string const path = "/api/v1/webhooks/messenger/twilio";
  std::string const base = "http://127.0.0.1:1";  // the public_base_url Balie is configured with, as Twilio signs it
  CHECK(post(path, message, "").status == 401);
  auto forged = message;
  forged[4].second = "Iets anders";
  CHECK(post(path, forged, twilio_signature(base + path, message)).status == 403);
  auto sms = message;
  sms[2].second = "+31600000004";
  CHECK(post(path, sms, twilio_signature(base + path, sms)).status == 400);
  CHECK(s.stored() == 0);

  auto const ok = post(path, message, twilio_signature(base + path, message));
  REQUIRE_MESSAGE(ok.status == 200, ok.body);
  CHECK(ok.body.find("<Response/>") != std::string::npos);  // empty TwiML: Twilio sends nothing on Balie's behalf
  CHECK(post(path, message, twilio_signature(base + path, message)).status == 200);  // a retry: once
  REQUIRE(s.stored() == 1);
  auto const case_id = s.cases().at(0)["id"].get<std::string>();
  CHECK(s.view(case_id)["messages"][0]["provider"] == "whatsapp-twilio");
  REQUIRE(twilio.wait_for(2));  // the privacy notice and the acknowledgement

  auto const id = s.reply(case_id, "U kunt een afspraak maken op de website.");
  REQUIRE(twilio.wait_for(3));
  auto const sent = twilio.requests()[2];
  CHECK(sent.target == std::string("/2010-04-01/Accounts/") + twilio_account + "/Messages.json");
  CHECK(form_value(sent.body, "To") == "whatsapp:+31600000004");
  CHECK(form_value(sent.body, "From") == "whatsapp:+3197010203040");
  CHECK(form_value(sent.body, "Body") == "U kunt een afspraak maken op de website.");
  auto const callback = form_value(sent.body, "StatusCallback");
  CHECK(callback == base + path + "/status?case=" + case_id + "&message=" + id);
  REQUIRE_MESSAGE(eventually([&] { return s.delivery(case_id, id) == "sent"; }), s.messenger_log());
  // Twilio's status callback to the URL it was given, signed over it.
  std::vector<std::pair<std::string, std::string>> const read{{"MessageSid", "SM00000000000000000000000000000001"}, {"MessageStatus", "read"},
                                                               {"AccountSid", twilio_account}};
  auto const target = callback.substr(base.size());
  CHECK(post(target, read, twilio_signature(base + "/wrong", read)).status == 403);
  CHECK(s.delivery(case_id, id) == "sent");
  CHECK(post(target, read, twilio_signature(callback, read)).status == 200);
  CHECK(s.delivery(case_id, id) == "read");

  // Twilio refuses free text after the window (63016): the reply fails, and staff are told why and what to do.
  window_closed = true;
  auto const late = s.reply(case_id, "Nog een vraag van ons.");
  REQUIRE_MESSAGE(eventually([&] { return s.delivery(case_id, late) == "failed"; }), s.messenger_log());
  std::string reason;
  auto const after = s.view(case_id);
  for (auto const& m : after["messages"])
    if (m["id"] == late) reason = m["delivery"].value("last_error", "");
  CHECK(reason.find("24-hour window") != std::string::npos);
}

TEST_CASE("authorization matrix: every messenger endpoint refuses no credentials, wrong ones and Balie's own tokens; nothing is stored") {
  fake_provider graph, homeserver;
  temp_dir secrets;
  std::ofstream(secrets.path / "cm") << cm_secret;
  std::ofstream(secrets.path / "twilio") << twilio_token;
  // CM is allowed only from a network this test does not post from: the right secret alone is not enough.
  json const extra = {{"channels", {{"messenger", {{"whatsapp", {{"cm", {{"path_secret", {{"file", (secrets.path / "cm").string()}}},
                                                                        {"allowed_sources", {"192.0.2.0/24"}}}},
                                                                {"twilio", {{"auth_token", {{"file", (secrets.path / "twilio").string()}}}}}}}}}}}};
  messenger_stack s(graph, homeserver, true, extra);
  auto const body = text_message("wamid.AUTH", "Hallo");
  auto const call = [&](std::string const& method, std::string const& target, header_list h, std::string const& b) {
    h.emplace_back("Content-Type", target.find("twilio") != std::string::npos ? "application/x-www-form-urlencoded" : "application/json");
    return http_call(s.port(), method, target, h, b).status;
  };
  std::string const matrix = json{{"events", json::array({matrix_event("m.room.message", {{"msgtype", "m.text"}, {"body", "Hallo"}}, "$auth")})}}.dump();
  std::string const twilio_form = "MessageSid=SMauth&From=whatsapp%3A%2B31600000001&Body=Hallo";
  struct row {
    std::string method, target, body;
    header_list none, wrong;
    unsigned none_status, wrong_status;
  };
  std::vector<row> const rows = {
      {"POST", "/api/v1/webhooks/messenger/whatsapp", body, {}, {{"X-Hub-Signature-256", "sha256=" + hex_hmac("another-secret", body)}}, 401, 401},
      {"GET", "/api/v1/webhooks/messenger/whatsapp?hub.mode=subscribe&hub.challenge=abc", "", {}, {}, 403, 403},
      {"PUT", "/_matrix/app/v1/transactions/auth1", matrix, {}, {{"Authorization", "Bearer wrong-hs-token-00"}}, 401, 403},
      {"PUT", "/transactions/auth2", matrix, {}, {{"Authorization", "Bearer wrong-hs-token-00"}}, 401, 403},
      {"POST", std::string("/api/v1/webhooks/messenger/cm/") + cm_secret, cm_inbound("cm-auth", "Hallo").dump(), {}, {}, 403, 403},
      {"POST", std::string("/api/v1/webhooks/messenger/cm/") + cm_secret + "/status", "{}", {}, {}, 403, 403},
      {"POST", "/api/v1/webhooks/messenger/cm/wrong-secret-0000", cm_inbound("cm-auth", "Hallo").dump(), {}, {}, 403, 403},
      {"POST", "/api/v1/webhooks/messenger/twilio", twilio_form, {}, {{"X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl"}}, 401, 403},
      {"POST", "/api/v1/webhooks/messenger/twilio/status?case=01JDZ8Y3N4M5P6Q7R8S9T0V1W2&message=01JDZ8Y3N4M5P6Q7R8S9T0V1W3",
       "MessageStatus=read", {}, {{"X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl"}}, 401, 403},
  };
  for (auto const& r : rows) {
    CAPTURE(r.target);
    CHECK(call(r.method, r.target, r.none, r.body) == r.none_status);
    CHECK(call(r.method, r.target, r.wrong, r.body) == r.wrong_status);
    // Balie's own tokens open no platform's door.
    for (auto const* token : {staff_token, admin_token})
      CHECK(call(r.method, r.target, {{"Authorization", std::string("Bearer ") + token}}, r.body) == (r.target.find("transactions") != std::string::npos ? 403u : r.none_status));
  }
  CHECK(s.stored() == 0);
  CHECK(graph.requests().empty());
  CHECK(homeserver.requests().empty());
}

TEST_CASE("other ways in, for the chat widget: each switched-on channel's address, mail and SMS and Matrix before WhatsApp, which alone is Big Tech") {
  fake_provider graph, homeserver;
  temp_dir secrets;
  std::ofstream(secrets.path / "sms") << "test-sms-webhook-secret";
  auto const lmtp_port = free_loopback_port();
  json const extra = {
      {"channels",
       {{"email", {{"enabled", true}, {"domain", "gemeente.test"}, {"addresses", {{"info@gemeente.test", "algemeen"}}},
                   {"lmtp", {{"address", "127.0.0.1"}, {"port", lmtp_port}}}}},
        {"sms", {{"enabled", true}, {"public_base_url", "http://127.0.0.1:1"}, {"public_number", "+3197010203041"},
                 {"providers", {{"twilio", {{"webhook_secret", {{"file", (secrets.path / "sms").string()}}}}}}}}},
        {"messenger", {{"whatsapp", {{"public_number", "+3197010203040"}}}}}}}};
  messenger_stack s(graph, homeserver, true, extra);
  auto const ways = [&] {
    auto const status = json::parse(http_call(s.port(), "GET", "/api/v1/chat/status").body);
    std::vector<std::string> out;
    for (auto const& w : status["other_ways"]) {
      out.push_back(w["kind"].get<std::string>() + " " + w["href"].get<std::string>());
      CHECK(w["big_tech"] == (w["kind"] == "whatsapp"));
    }
    return out;
  };
  CHECK(ways() == std::vector<std::string>{"email mailto:info@gemeente.test", "sms sms:+3197010203041",
                                           "matrix https://matrix.to/#/@balie:gemeente.test", "whatsapp https://wa.me/3197010203040"});
  auto const turn = [&](std::string const& what, bool on) {
    auto const r = http_call(s.port(), "PUT", "/api/v1/channels/" + what, as(admin_token), json{{"enabled", on}, {"reason", "Proef"}}.dump());
    REQUIRE_MESSAGE(r.status == 200, r.body);
  };
  // What is off is not offered: residents are never sent to a door that is closed.
  turn("sms", false);
  CHECK(ways() == std::vector<std::string>{"email mailto:info@gemeente.test", "matrix https://matrix.to/#/@balie:gemeente.test",
                                           "whatsapp https://wa.me/3197010203040"});
  turn("messenger/whatsapp", false);
  CHECK(ways() == std::vector<std::string>{"email mailto:info@gemeente.test", "matrix https://matrix.to/#/@balie:gemeente.test"});
  turn("messenger", false);
  CHECK(ways() == std::vector<std::string>{"email mailto:info@gemeente.test"});
}
