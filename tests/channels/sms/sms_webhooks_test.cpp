// The SMS channel end to end against a real balied and Redis, with fake
// providers speaking their real wire formats and signatures (signed here
// with OpenSSL, not with Balie's code): a signed webhook becomes a case; a
// forged, missing, replayed or re-encoded signature is refused and stores
// nothing; a retried webhook is one message; STOP and START change the
// opt-out (audited, confirmed once); messages from one number thread into
// its case; replies leave through the provider and its reports move the
// delivery status forward only; a flood from one number is limited; each
// provider's endpoint has its own switch.
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fake_provider.hpp"
#include "tests/support/http_client.hpp"

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <fstream>

using namespace balie;
using namespace balie::test;
using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr char const* base = "https://balie.gemeente.test";
constexpr char const* twilio_token = "test-twilio-token-1";
constexpr char const* bird_key = "test-bird-signing-key";
constexpr char const* mb_key = "test-messagebird-signing-key";
constexpr char const* cm_secret = "cm-path-secret-0123456789";
constexpr char const* kannel_secret = "test-kannel-secret";
constexpr char const* resident = "+31600000001";

std::string b64(std::string const& raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  auto const n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<unsigned char const*>(raw.data()),
                                 static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string b64url(std::string const& raw) {
  auto s = b64(raw);
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::string mac(EVP_MD const* md, std::string const& key, std::string const& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string const& s, bool hex) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(s.data()), s.size(), d);
  if (!hex) return std::string(reinterpret_cast<char*>(d), sizeof d);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto c : d) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

std::string enc(std::string const& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

std::string form(std::vector<std::pair<std::string, std::string>> const& f) {
  std::string out;
  for (auto const& [k, v] : f) out += (out.empty() ? "" : "&") + enc(k) + "=" + enc(v);
  return out;
}

/// Twilio's scheme: the URL, then each field's name and value sorted by name; HMAC-SHA1, base64.
std::string twilio_signature(std::string const& url, std::vector<std::pair<std::string, std::string>> fields) {
  std::sort(fields.begin(), fields.end());
  auto data = url;
  for (auto const& [k, v] : fields) data += k + v;
  return b64(mac(EVP_sha1(), twilio_token, data));
}

void write_secret(std::filesystem::path const& file, char const* value) { std::ofstream(file) << value; }

json sms_overrides(std::filesystem::path const& dir, std::string const& send_url = "", json extra = json::object()) {
  write_secret(dir / "twilio.secret", twilio_token);
  write_secret(dir / "bird.secret", bird_key);
  write_secret(dir / "mb.secret", mb_key);
  write_secret(dir / "cm.secret", cm_secret);
  write_secret(dir / "kannel.secret", kannel_secret);
  write_secret(dir / "sendsms.secret", "sendsms-password");
  auto const secret = [&](char const* f) { return json{{"file", (dir / f).string()}}; };
  json kannel = {{"webhook_secret", secret("kannel.secret")}};
  if (!send_url.empty())
    kannel["send"] = {{"url", send_url + "/cgi-bin/sendsms"}, {"account", "balie"}, {"secret", secret("sendsms.secret")}, {"from", "Gemeente"}};
  json sms = {{"enabled", true},
              {"public_base_url", base},
              {"providers",
               {{"twilio", {{"webhook_secret", secret("twilio.secret")}}},
                {"bird", {{"webhook_secret", secret("bird.secret")}}},
                {"messagebird", {{"webhook_secret", secret("mb.secret")}}},
                {"cm", {{"webhook_secret", secret("cm.secret")}, {"allowed_sources", {"127.0.0.1"}}}},
                {"kannel", kannel}}}};
  if (!send_url.empty()) sms["send_via"] = "kannel";
  sms.merge_patch(extra);
  return {{"dedup_ttl_hours", 960}, {"outbox", {{"block_ms", 100}}}, {"channels", {{"sms", sms}}}};
}

header_list as(char const* token) { return {{"Authorization", std::string("Bearer ") + token}, {"Content-Type", "application/json"}}; }

struct sms_stack : test_stack {
  explicit sms_stack(std::string const& send_url = "", json extra = json::object()) : test_stack(make(send_url, std::move(extra))) {}
  static json make(std::string const& send_url, json extra) {
    // test_stack's directory does not exist before it: the secrets go next to the test binary's temp files.
    static temp_dir secrets;
    return sms_overrides(secrets.path, send_url, std::move(extra));
  }

  http_reply twilio(std::string const& sid, std::string const& from, std::string const& body,
                    std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> f = {{"MessageSid", sid}, {"AccountSid", "AC0000"}, {"From", from},
                                                         {"To", "+3197000000001"}, {"Body", body}};
    for (auto& e : extra) f.push_back(e);
    auto const target = std::string("/api/v1/webhooks/sms/twilio");
    return http_call(port(), "POST", target,
                     {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", twilio_signature(base + target, f)}}, form(f));
  }
  http_reply kannel(std::string const& id, std::string const& from, std::string const& text, char const* secret = kannel_secret) {
    auto const target = "/api/v1/webhooks/sms/kannel?" + form({{"from", from}, {"to", "4444"}, {"id", id}, {"charset", "UTF-8"}});
    return http_call(port(), "POST", target, {{"Authorization", "Basic " + b64(std::string("kannel:") + secret)}, {"Content-Type", "text/plain"}},
                     text);
  }
  json cases(std::string const& inbox = "algemeen") {
    return json::parse(http_call(port(), "GET", "/api/v1/inboxes/" + inbox + "/cases?state=open", as(staff_token)).body)["cases"];
  }
  json view(std::string const& case_id) { return json::parse(http_call(port(), "GET", "/api/v1/cases/" + case_id, as(staff_token)).body); }
  /// The SMS channel's health state as admins see it.
  std::string sms_health() {
    auto const all = json::parse(http_call(port(), "GET", "/api/v1/channels", as(admin_token)).body);
    for (auto const& c : all["channels"])
      if (c["name"] == "sms") return c["health"]["state"].get<std::string>();
    return {};
  }
  /// A staff reply on the case's default channel; its message id (the test fails when it is not accepted).
  std::string reply(std::string const& case_id, std::string const& text) {
    auto const r = http_call(port(), "POST", "/api/v1/cases/" + case_id + "/replies", as(staff_token), json{{"text", text}}.dump());
    REQUIRE_MESSAGE(r.status == 202, r.body);
    return json::parse(r.body)["message"]["id"].get<std::string>();
  }
  /// The delivery status of one outbound message as staff see it; empty: no such message.
  std::string delivery(std::string const& case_id, std::string const& message_id) {
    auto const v = view(case_id);  // not a range-for over a member of a temporary
    for (auto const& m : v["messages"])
      if (m["id"] == message_id) return m["delivery"]["status"].get<std::string>();
    return {};
  }
  long long stored() { return inbox_length("algemeen"); }
};

} // namespace

TEST_CASE("Twilio: a signed webhook becomes a case; forged, missing and re-encoded signatures are refused and store nothing") {
  sms_stack s;
  auto const r = s.twilio("SM0001", "0600000001", "De lantaarnpaal bij de school is kapot.", {{"NumMedia", "0"}, {"ApiVersion", "2010-04-01"}});
  REQUIRE(r.status == 200);
  CHECK(r.headers.at("content-type").find("text/xml") == 0);
  CHECK(r.body.find("<Response/>") != std::string::npos);  // nothing is sent back by Twilio itself
  REQUIRE(s.stored() == 1);
  auto const c = s.cases().at(0);
  CHECK(c["channel"] == "sms");
  auto const v = s.view(c["id"]);
  auto const& m = v["messages"][0];
  CHECK(m["provider"] == "twilio");
  CHECK(m["provider_message_id"] == "SM0001");
  CHECK(m["resident"]["addresses"][0] == json{{"kind", "phone"}, {"value", resident}});  // 06… read as E.164
  CHECK(m["text"] == "De lantaarnpaal bij de school is kapot.");

  // The same webhook again (Twilio retries after a timeout): one message.
  CHECK(s.twilio("SM0001", "0600000001", "De lantaarnpaal bij de school is kapot.", {{"NumMedia", "0"}, {"ApiVersion", "2010-04-01"}}).status == 200);
  CHECK(s.stored() == 1);

  std::vector<std::pair<std::string, std::string>> f = {{"MessageSid", "SM0002"}, {"From", resident}, {"To", "+3197000000001"}, {"Body", "Hallo"}};
  auto const target = std::string("/api/v1/webhooks/sms/twilio");
  auto const post = [&](header_list h, std::string const& body) {
    h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return http_call(s.port(), "POST", target, h, body);
  };
  CHECK(post({}, form(f)).status == 401);
  CHECK(post({{"X-Twilio-Signature", b64(std::string(20, 'x'))}}, form(f)).status == 403);
  // Signed for another body: the text changed on the way.
  auto const sig = twilio_signature(base + target, f);
  auto changed = f;
  changed[3].second = "Hallo, stuur geld";
  CHECK(post({{"X-Twilio-Signature", sig}}, form(changed)).status == 403);
  // Signed over http:// instead of the public https:// address.
  CHECK(post({{"X-Twilio-Signature", twilio_signature(std::string("http://balie.gemeente.test") + target, f)}}, form(f)).status == 403);
  // Re-encoded so that the decoded fields differ ("+" is a space in a form).
  auto reencoded = form(f);
  reencoded.replace(reencoded.find("%2B31"), 3, "+");
  CHECK(post({{"X-Twilio-Signature", sig}}, reencoded).status == 403);
  CHECK(s.stored() == 1);
  // The right signature over the same fields passes.
  CHECK(post({{"X-Twilio-Signature", sig}}, form(f)).status == 200);
  CHECK(s.stored() == 2);
}

TEST_CASE("Bird, MessageBird, CM and Kannel: each provider's own check, before anything is read") {
  sms_stack s;
  auto const now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  // Bird: HMAC-SHA256 over timestamp, URL and the body's SHA-256, in a time window.
  json const bird = {{"id", "0b5d3c4e-1111-4a5b-8c9d-000000000001"},
                     {"direction", "incoming"},
                     {"sender", {{"contact", {{"identifierValue", "+31600000002"}}}}},
                     {"receiver", {{"connector", {{"identifierValue", "+3197000000002"}}}}},
                     {"body", {{"type", "text"}, {"text", {{"text", "Wanneer wordt het grofvuil opgehaald?"}}}}},
                     {"createdAt", "2026-12-01T09:00:00.000Z"}};
  auto const bird_target = std::string("/api/v1/webhooks/sms/bird");
  auto const bird_post = [&](std::string const& ts, std::string const& body, std::string const& signed_body) {
    auto const sig = b64(mac(EVP_sha256(), bird_key, ts + "\n" + base + bird_target + "\n" + sha256(signed_body, false)));
    return http_call(s.port(), "POST", bird_target,
                     {{"Content-Type", "application/json"}, {"messagebird-signature", sig}, {"messagebird-request-timestamp", ts}}, body);
  };
  CHECK(bird_post(std::to_string(now - 3600), bird.dump(), bird.dump()).status == 403);  // outside the window
  CHECK(bird_post(std::to_string(now), bird.dump(), "{}").status == 403);
  CHECK(http_call(s.port(), "POST", bird_target, {{"Content-Type", "application/json"}}, bird.dump()).status == 401);
  CHECK(s.stored() == 0);
  CHECK(bird_post(std::to_string(now), bird.dump(), bird.dump()).status == 200);
  CHECK(s.stored() == 1);

  // MessageBird: a signed JWT naming the URL and the body; its jti is used once.
  auto const mb_target = std::string("/api/v1/webhooks/sms/messagebird");
  auto const mb_body = form({{"id", "mb-000001"}, {"originator", "31600000003"}, {"recipient", "3197000000003"}, {"body", "Mijn pas is kwijt"},
                             {"createdDatetime", "2026-12-01T09:00:00+00:00"}});
  auto const jwt = [&](std::string const& jti, std::string const& body) {
    auto const head = b64url(json{{"alg", "HS256"}, {"typ", "JWT"}}.dump());
    auto const claims = b64url(json{{"iss", "MessageBird"}, {"nbf", now - 1}, {"exp", now + 60}, {"jti", jti},
                                    {"url_hash", sha256(base + mb_target, true)}, {"payload_hash", sha256(body, true)}}
                                   .dump());
    return head + "." + claims + "." + b64url(mac(EVP_sha256(), mb_key, head + "." + claims));
  };
  auto const mb_post = [&](std::string const& token, std::string const& body) {
    return http_call(s.port(), "POST", mb_target, {{"Content-Type", "application/x-www-form-urlencoded"}, {"MessageBird-Signature-JWT", token}}, body);
  };
  auto const token = jwt("jti-0001", mb_body);
  CHECK(mb_post(token, mb_body).status == 200);
  CHECK(s.stored() == 2);
  CHECK(mb_post(token, mb_body).status == 403);  // the same signed request again: a replay
  CHECK(mb_post(jwt("jti-0002", "other"), mb_body).status == 403);
  CHECK(s.stored() == 2);

  // CM: the secret path segment and the source address; CM signs nothing.
  json const cm = {{"reference", "cm-ref-000001"}, {"from", {{"number", "0031600000004"}}}, {"to", {{"number", "0031970000000"}}},
                   {"message", {{"text", "Is het stadhuis open op zaterdag?"}}}, {"timeUtc", "2026-12-01T09:00:00"}};
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/sms/cm/wrong-secret-0123456789", {{"Content-Type", "application/json"}}, cm.dump()).status == 403);
  CHECK(http_call(s.port(), "POST", std::string("/api/v1/webhooks/sms/cm/") + cm_secret, {{"Content-Type", "application/json"}}, cm.dump()).status ==
        200);
  CHECK(s.stored() == 3);

  // Kannel: the post-url's password as Basic auth.
  CHECK(s.kannel("k-1", "+31600000005", "Hallo", "wrong-kannel-secret").status == 403);
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/sms/kannel?from=%2B31600000005&id=k-1", {}, "Hallo").status == 401);
  CHECK(s.stored() == 3);
  CHECK(s.kannel("k-1", "+31600000005", "Hallo").status == 200);
  CHECK(s.stored() == 4);

  // Readable only once believed; then an unreadable one is refused for what it is.
  CHECK(s.kannel("k-2", "geen nummer", "Hallo").status == 400);
  CHECK(s.kannel("k-3", "+00600000005", "Hallo").status == 400);
  auto const kannel_auth = header_list{{"Authorization", "Basic " + b64(std::string("kannel:") + kannel_secret)}};
  // UTF-16 with a high surrogate and no low one after it.
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/sms/kannel?from=%2B31600000005&id=k-4&charset=UTF-16BE", kannel_auth,
                  std::string("\xD8\x3D\x00\x41", 4))
            .status == 400);
  // Far larger than any SMS: refused before the body is read.
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/sms/kannel?from=%2B31600000005&id=k-5", kannel_auth, std::string(100 * 1024, 'a')).status ==
        413);
  CHECK(s.stored() == 4);
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/sms/nokia", {}, "x").status == 404);
}

TEST_CASE("threading by number: the number's case is joined (and reopened when closed) within the window; after it, a new case") {
  sms_stack s;
  REQUIRE(s.kannel("t-1", "+31600000011", "Er ligt afval op straat.").status == 200);
  REQUIRE(s.kannel("t-2", "0600000011", "Bij de Dorpsstraat 1.").status == 200);
  auto cases = s.cases();
  REQUIRE(cases.size() == 1);
  auto const case_id = cases[0]["id"].get<std::string>();
  CHECK(cases[0]["message_count"] == 3);  // the two, and the acknowledgement of the first
  // The window is the number's key's lifetime: 7 days by default.
  auto const ttl = s.redis.integer({"TTL", queue::keys::sms_recent("+31600000011")});
  CHECK(ttl > 6 * 24 * 3600);
  CHECK(ttl <= 7 * 24 * 3600);

  REQUIRE(http_call(s.port(), "POST", "/api/v1/cases/" + case_id + "/close", as(staff_token), "{}").status == 200);
  REQUIRE(s.kannel("t-3", "+31600000011", "Het ligt er nog steeds.").status == 200);
  auto const reopened = s.view(case_id);
  CHECK(reopened["state"] == "open");
  CHECK(reopened["messages"].size() == 4);

  // Another number: its own case.
  REQUIRE(s.kannel("t-4", "+31600000012", "Andere vraag").status == 200);
  CHECK(s.cases().size() == 2);
  // The window passed (the key expired): a new case for the same number.
  s.redis.command({"DEL", queue::keys::sms_recent("+31600000011")});
  REQUIRE(s.kannel("t-5", "+31600000011", "Nieuwe vraag").status == 200);
  CHECK(s.cases().size() == 3);
}

TEST_CASE("STOP and START: the opt-out is recorded, audited and confirmed once; a sentence with stop is an ordinary message") {
  sms_stack s;
  REQUIRE(s.kannel("o-1", "+31600000021", "stop de overlast bij de bushalte").status == 200);
  CHECK(s.redis.integer({"SISMEMBER", std::string(queue::keys::sms_opt_out), "+31600000021"}) == 0);
  REQUIRE(s.kannel("o-2", "+31600000021", "  Stop ").status == 200);
  CHECK(s.redis.integer({"SISMEMBER", std::string(queue::keys::sms_opt_out), "+31600000021"}) == 1);
  REQUIRE(s.kannel("o-3", "+31600000021", "STOP").status == 200);  // already out: no second confirmation
  auto const count = [&](std::string const& rule) {
    std::size_t n = 0;
    for (auto const& e : s.redis.list({"XRANGE", queue::keys::outbound("sms"), "-", "+"}))
      if (e.find("\"rule\":\"" + rule + "\"") != std::string::npos) ++n;
    return n;
  };
  CHECK(count("sms-opt-out-confirmation") == 1);
  CHECK(count("acknowledgement") == 1);  // for the first message's new case
  auto const audit = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  auto const audited = [&](std::string const& action) {
    return std::count_if(audit.begin(), audit.end(), [&](auto const& e) { return e == action; });
  };
  CHECK(audited("sms.opt_out") == 1);
  for (auto const& e : audit) CHECK(e.find("+31600000021") == std::string::npos);  // the number is hashed

  // Staff cannot answer by SMS now, and are told why.
  auto const case_id = s.cases()[0]["id"].get<std::string>();
  auto const reply = http_call(s.port(), "POST", "/api/v1/cases/" + case_id + "/replies", as(staff_token), json{{"text", "Wij komen kijken."}}.dump());
  CHECK(reply.status == 400);
  CHECK(reply.body.find("opted out") != std::string::npos);

  REQUIRE(s.kannel("o-4", "+31600000021", "start").status == 200);
  CHECK(s.redis.integer({"SISMEMBER", std::string(queue::keys::sms_opt_out), "+31600000021"}) == 0);
  CHECK(count("sms-opt-in-confirmation") == 1);
  auto const audit2 = s.redis.list({"XRANGE", std::string(queue::keys::audit), "-", "+"});
  CHECK(std::count(audit2.begin(), audit2.end(), std::string("sms.opt_in")) == 1);
}

TEST_CASE("replies leave through Kannel's sendsms; its reports move the delivery status forward only; a failing provider is retried") {
  fake_provider kannel;
  kannel.answer(202, "0: Accepted for delivery");
  sms_stack s(kannel.url(), {{"retry_initial_seconds", 1}});
  REQUIRE(s.kannel("r-1", "+31600000031", "Mijn container is niet geleegd.").status == 200);
  REQUIRE(kannel.wait_for(1));  // the acknowledgement
  auto const ack = kannel.requests()[0];
  CHECK(ack.method == "GET");
  CHECK(form_value(ack.target.substr(ack.target.find('?') + 1), "to") == "+31600000031");
  CHECK(form_value(ack.target.substr(ack.target.find('?') + 1), "password") == "sendsms-password");
  CHECK(form_value(ack.target.substr(ack.target.find('?') + 1), "text").find("BL-") != std::string::npos);

  auto const case_id = s.cases()[0]["id"].get<std::string>();
  auto const message_id = s.reply(case_id, "Wij legen uw container morgen. Groet, de gemeente 😀");
  REQUIRE(kannel.wait_for(2));
  auto const sent = kannel.requests()[1];
  auto const query = sent.target.substr(sent.target.find('?') + 1);
  CHECK(form_value(query, "coding") == "2");  // the emoji makes it UCS-2
  CHECK(form_value(query, "text") == "Wij legen uw container morgen. Groet, de gemeente 😀");
  auto const dlr = form_value(query, "dlr-url");
  CHECK(dlr.find(std::string("https://kannel:") + kannel_secret + "@balie.gemeente.test/api/v1/webhooks/sms/kannel/status?") == 0);
  CHECK(dlr.find("type=%d") != std::string::npos);
  auto const delivery = [&] { return s.delivery(case_id, message_id); };
  REQUIRE(eventually([&] { return delivery() == "sent"; }));

  // Kannel calls the dlr-url (GET) with %d filled in; the secret travels as Basic auth.
  auto const report = [&](char const* type, char const* secret = kannel_secret) {
    auto target = dlr.substr(dlr.find("/api/v1/"));
    target.replace(target.find("%d"), 2, type);
    return http_call(s.port(), "GET", target, {{"Authorization", "Basic " + b64(std::string("kannel:") + secret)}});
  };
  CHECK(report("1", "wrong-kannel-secret").status == 403);
  CHECK(delivery() == "sent");
  CHECK(report("8").status == 200);
  CHECK(report("1").status == 200);
  CHECK(delivery() == "delivered");
  CHECK(report("8").status == 200);  // late, out of order: answered, and nothing moves back
  CHECK(delivery() == "delivered");
  CHECK(report("16").status == 200);  // a part that failed: the message did not arrive whole
  CHECK(delivery() == "failed");
  CHECK(report("1").status == 200);
  CHECK(delivery() == "failed");

  // The provider fails for now: the reply waits and goes out on a later try.
  kannel.answer(503, "Service unavailable");
  auto const second = http_call(s.port(), "POST", "/api/v1/cases/" + case_id + "/replies", as(staff_token), json{{"text", "Nog een vraag?"}}.dump());
  REQUIRE(second.status == 202);
  REQUIRE(kannel.wait_for(3));
  kannel.answer(202, "0: Accepted for delivery");
  REQUIRE(kannel.wait_for(4, std::chrono::seconds(30)));
  auto const second_id = json::parse(second.body)["message"]["id"].get<std::string>();
  CHECK(eventually([&] { return s.delivery(case_id, second_id) == "sent"; }));
}

TEST_CASE("a flood from one number: 429 where the provider does not retry, taken and merged where it retries for ever") {
  sms_stack s("", {{"messages_per_number", 3}});
  for (int i = 0; i < 3; ++i) CHECK(s.twilio("SMF" + std::to_string(i), "+31600000041", "bericht").status == 200);
  auto const over = s.twilio("SMF9", "+31600000041", "bericht");
  CHECK(over.status == 429);
  CHECK(over.headers.count("retry-after") == 1);
  CHECK(s.twilio("SMG1", "+31600000042", "ander nummer").status == 200);  // another number is not held up

  for (int i = 0; i < 6; ++i) CHECK(s.kannel("kf-" + std::to_string(i), "+31600000043", "bericht " + std::to_string(i)).status == 200);
  int flood_cases = 0;
  auto const all = s.cases();
  for (auto const& c : all)
    if (s.view(c["id"])["messages"][0]["resident"]["addresses"][0]["value"] == "+31600000043") {
      ++flood_cases;
      CHECK(c["message_count"] >= 6);
    }
  CHECK(flood_cases == 1);
}

TEST_CASE("switches: one provider's endpoint off is 503 for it alone; the SMS channel off files messages and answers with the notice") {
  sms_stack s;
  auto const list = json::parse(http_call(s.port(), "GET", "/api/v1/channels", as(admin_token)).body)["channels"];
  std::vector<std::string> names;
  for (auto const& c : list) names.push_back(c["name"]);
  CHECK(std::find(names.begin(), names.end(), "sms/twilio") != names.end());
  CHECK(std::find(names.begin(), names.end(), "sms/kannel") != names.end());

  REQUIRE(http_call(s.port(), "PUT", "/api/v1/channels/sms/twilio", as(admin_token), json{{"enabled", false}, {"reason", "Contract beeindigd"}}.dump())
              .status == 200);
  REQUIRE(eventually([&] { return s.twilio("SMS1", resident, "Hallo").status == 503; }));
  CHECK(s.kannel("sw-1", resident, "Hallo").status == 200);
  CHECK(s.stored() == 1);
  auto const health = [&] { return s.sms_health(); };
  CHECK(eventually([&] { return health() == "degraded"; }));

  json const off = {{"enabled", false}, {"reason", "Storing bij de provider"}, {"notice", {{"nl", "De sms-dienst is even uit."}}}};
  REQUIRE(http_call(s.port(), "PUT", "/api/v1/channels/sms", as(admin_token), off.dump()).status == 200);
  std::size_t seen = 0;
  REQUIRE(eventually([&] { return s.balied->logged_since("channel.applied", seen); }));
  REQUIRE(s.kannel("sw-2", "+31600000051", "Hallo, is er iemand?").status == 200);
  auto const c = [&] {
    auto const all = s.cases();
    for (auto const& each : all)
      if (s.view(each["id"])["messages"][0]["provider_message_id"] == "sw-2") return each;
    return json{};
  }();
  REQUIRE(c.is_object());
  auto const v = s.view(c["id"]);
  CHECK(v["messages"][0]["received_while_off"] == true);
  bool notice = false;
  for (auto const& m : v["messages"])
    if (m["direction"] == "outbound" && m["text"].get<std::string>().find("De sms-dienst is even uit.") != std::string::npos) notice = true;
  CHECK(notice);
}

TEST_CASE("replies through Twilio's API: authenticated form post with a status callback; the signed callback marks delivery") {
  fake_provider twilio;
  twilio.answer(201, R"({"sid": "SM9999", "status": "queued"})");
  sms_stack s("", {{"send_via", "twilio"},
                   {"acknowledge", false},
                   {"providers", {{"twilio", {{"send", {{"url", twilio.url()}, {"account", "AC0000"}, {"from", "+3197000000001"}}}}}}}});
  REQUIRE(s.twilio("SMT1", "+31600000071", "Wanneer is het stadhuis open?").status == 200);
  auto const case_id = s.cases()[0]["id"].get<std::string>();
  auto const message_id = s.reply(case_id, "Van 9 tot 17 uur.");
  REQUIRE(twilio.wait_for(1));
  auto const sent = twilio.requests()[0];
  CHECK(sent.method == "POST");
  CHECK(sent.target == "/2010-04-01/Accounts/AC0000/Messages.json");
  CHECK(sent.headers.at("authorization") == "Basic " + b64(std::string("AC0000:") + twilio_token));
  CHECK(form_value(sent.body, "To") == "+31600000071");
  CHECK(form_value(sent.body, "Body") == "Van 9 tot 17 uur.");
  auto const callback = form_value(sent.body, "StatusCallback");
  REQUIRE(callback.rfind(std::string(base) + "/api/v1/webhooks/sms/twilio/status?", 0) == 0);
  auto const status = [&] { return s.delivery(case_id, message_id); };
  REQUIRE(eventually([&] { return status() == "sent"; }));

  // Twilio posts the callback to that URL, signed over it (query included) and its fields.
  auto const target = callback.substr(std::string(base).size());
  auto const post = [&](std::string const& message_status) {
    std::vector<std::pair<std::string, std::string>> f = {{"MessageSid", "SM9999"}, {"MessageStatus", message_status}, {"AccountSid", "AC0000"}};
    return http_call(s.port(), "POST", target,
                     {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", twilio_signature(callback, f)}}, form(f));
  };
  CHECK(http_call(s.port(), "POST", target, {{"Content-Type", "application/x-www-form-urlencoded"}}, "MessageStatus=delivered").status == 401);
  CHECK(post("delivered").status == 200);
  CHECK(status() == "delivered");
  CHECK(post("sent").status == 200);  // late: answered, nothing moves back
  CHECK(status() == "delivered");
}

TEST_CASE("a provider that hangs holds only SMS: transcripts and SMS intake go on; the reply leaves once it answers again") {
  fake_provider kannel;
  kannel.hang(true);
  sms_stack s(kannel.url(), {{"send_timeout_seconds", 1}, {"retry_initial_seconds", 1}, {"breaker_failures", 2}, {"breaker_cooldown_seconds", 1}});
  REQUIRE(s.kannel("h-1", "+31600000081", "Hallo").status == 200);
  REQUIRE(kannel.wait_for(1));  // the acknowledgement is stuck at the provider
  auto const stuck_case = s.cases()[0]["id"].get<std::string>();
  // Meanwhile: phone transcripts and SMS from others, timed (a figure, not an assertion).
  std::vector<double> ms;
  for (int i = 0; i < 50; ++i) {
    auto const started = std::chrono::steady_clock::now();
    auto const r = http_call(s.port(), "POST", "/api/v1/transcripts", as(system_token),
                             json{{"call_id", "hang-" + std::to_string(i)},
                                  {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Hallo"}}}}}
                                 .dump());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    CHECK(r.status == 202);
    CHECK(s.kannel("h-other-" + std::to_string(i), "+3160000" + std::to_string(1000 + i), "Vraag").status == 200);
  }
  std::sort(ms.begin(), ms.end());
  MESSAGE("transcript latency while the SMS provider hangs: median " << ms[25] << " ms, max " << ms.back() << " ms");
  auto const health = [&] { return s.sms_health(); };
  CHECK(eventually([&] { return health() == "degraded"; }));
  kannel.hang(false);
  kannel.answer(202, "0: Accepted for delivery");
  CHECK(eventually([&] {
    auto const v = s.view(stuck_case);
    return v["messages"].size() >= 2 && v["messages"][1]["delivery"]["status"] == "sent";
  }));
  CHECK(eventually([&] { return health() == "up"; }));
}

TEST_CASE("replies through Bird's Channels API; Bird's signed status event marks delivery") {
  fake_provider bird;
  bird.answer(202, R"({"id": "0b5d3c4e-2222-4a5b-8c9d-000000000001", "status": "accepted"})");
  ::setenv("BALIE_TEST_BIRD_ACCESS_KEY", "test-bird-access-key", 1);  // balied inherits it
  sms_stack s("", {{"send_via", "bird"},
                   {"acknowledge", false},
                   {"providers", {{"bird", {{"send", {{"url", bird.url() + "/workspaces/w1/channels/c1"}, {"secret", {{"env", "BALIE_TEST_BIRD_ACCESS_KEY"}}}, {"from", "Gemeente"}}}}}}}});
  REQUIRE(s.kannel("b-1", "+31600000091", "Is mijn paspoort klaar?").status == 200);
  auto const case_id = s.cases()[0]["id"].get<std::string>();
  auto const message_id = s.reply(case_id, "Ja, u kunt het ophalen.");
  REQUIRE(bird.wait_for(1));
  auto const sent = bird.requests()[0];
  CHECK(sent.target == "/workspaces/w1/channels/c1/messages");
  CHECK(sent.headers.at("authorization") == "AccessKey test-bird-access-key");
  auto const body = json::parse(sent.body);
  CHECK(body["receiver"]["contacts"][0]["identifierValue"] == "+31600000091");
  CHECK(body["reference"] == case_id + "." + message_id);
  auto const status = [&] { return s.delivery(case_id, message_id); };
  REQUIRE(eventually([&] { return status() == "sent"; }));
  auto const now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto const target = std::string("/api/v1/webhooks/sms/bird/status");
  auto const event = json{{"service", "channels"}, {"event", "sms.outbound"},
                          {"payload", {{"reference", case_id + "." + message_id}, {"status", "delivered"}}}}
                         .dump();
  auto const ts = std::to_string(now);
  auto const sig = b64(mac(EVP_sha256(), bird_key, ts + "\n" + base + target + "\n" + sha256(event, false)));
  CHECK(http_call(s.port(), "POST", target, {{"Content-Type", "application/json"}, {"messagebird-signature", b64(std::string(32, 'x'))},
                                             {"messagebird-request-timestamp", ts}}, event)
            .status == 403);
  CHECK(status() == "sent");
  CHECK(http_call(s.port(), "POST", target, {{"Content-Type", "application/json"}, {"messagebird-signature", sig}, {"messagebird-request-timestamp", ts}},
                  event)
            .status == 200);
  CHECK(status() == "delivered");
}

TEST_CASE("replies through CM's JSON API with the part limit; CM's status report on the secret path marks delivery") {
  fake_provider cm;
  cm.answer(200, R"json({"details": "Created 1 message(s)", "errorCode": 0})json");
  ::setenv("BALIE_TEST_CM_PRODUCT_TOKEN", "00000000-0000-0000-0000-000000000001", 1);  // balied inherits it
  sms_stack s("", {{"send_via", "cm"},
                   {"acknowledge", false},
                   {"providers", {{"cm", {{"send", {{"url", cm.url()}, {"secret", {{"env", "BALIE_TEST_CM_PRODUCT_TOKEN"}}}, {"from", "Gemeente"}}}}}}}});
  REQUIRE(s.kannel("c-1", "+31600000101", "Mag ik een container bijbestellen?").status == 200);
  auto const case_id = s.cases()[0]["id"].get<std::string>();
  auto const message_id = s.reply(case_id, "Ja, via het formulier.");
  REQUIRE(cm.wait_for(1));
  auto const sent = cm.requests()[0];
  CHECK(sent.target == "/v1.0/message");
  auto const body = json::parse(sent.body);
  CHECK(body["messages"]["authentication"]["producttoken"] == "00000000-0000-0000-0000-000000000001");
  CHECK(body["messages"]["msg"][0]["to"][0]["number"] == "+31600000101");
  CHECK(body["messages"]["msg"][0]["maximumNumberOfMessageParts"] == 6);
  REQUIRE(eventually([&] { return s.delivery(case_id, message_id) == "sent"; }));
  auto const report = json{{"messages", {{"msg", {{"received", "2026-12-01T09:00:00"}, {"to", "0031600000101"},
                                                  {"reference", case_id + "." + message_id},
                                                  {"status", {{"code", "2"}, {"errorCode", ""}, {"errorDescription", ""}}}}}}}}
                          .dump();
  CHECK(http_call(s.port(), "POST", "/api/v1/webhooks/sms/cm/wrong-secret-0123456789/status", {{"Content-Type", "application/json"}}, report).status ==
        403);
  CHECK(s.delivery(case_id, message_id) == "sent");
  CHECK(http_call(s.port(), "POST", std::string("/api/v1/webhooks/sms/cm/") + cm_secret + "/status", {{"Content-Type", "application/json"}}, report)
            .status == 200);
  CHECK(s.delivery(case_id, message_id) == "delivered");
}

TEST_CASE("staff ask what a reply costs as SMS while they type: encoding, parts, the limit and web addresses, by the sending check's rules") {
  sms_stack s;
  auto const size = [&](std::string const& text, char const* token = staff_token) {
    return http_call(s.port(), "POST", "/api/v1/sms/size", as(token), json{{"text", text}}.dump());
  };
  auto const plain = json::parse(size(std::string(161, 'a')).body);
  CHECK(plain == json{{"encoding", "gsm-7"}, {"units", 161}, {"segments", 2}, {"max_segments", 6}, {"too_long", false},
                      {"has_web_address", false}, {"web_addresses_allowed", false}});
  auto const emoji = json::parse(size("Graag gedaan 😀").body);
  CHECK(emoji["encoding"] == "ucs-2");
  CHECK(emoji["units"] == 15);
  CHECK(json::parse(size(std::string(7 * 153, 'a')).body)["too_long"] == true);
  CHECK(json::parse(size("Kijk op www.gemeente.test/afval").body)["has_web_address"] == true);
  CHECK(size("x", admin_token).status == 403);
  CHECK(http_call(s.port(), "POST", "/api/v1/sms/size", {}, "{}").status == 401);
  CHECK(size("").status == 200);
  CHECK(http_call(s.port(), "POST", "/api/v1/sms/size", as(staff_token), R"({"text": 5})").status == 400);
  CHECK(http_call(s.port(), "POST", "/api/v1/sms/size", as(staff_token), R"({"tekst": "a"})").status == 400);
}

TEST_CASE("a phone case answered by SMS: the caller's SMS back joins that case, not a new one") {
  fake_provider kannel;
  kannel.answer(202, "0: Accepted for delivery");
  sms_stack s(kannel.url());
  auto const call = http_call(s.port(), "POST", "/api/v1/transcripts", as(system_token),
                              json{{"call_id", "call-111"}, {"caller", "0600000111"},
                                   {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Mijn pas is kwijt."}}}}}
                                  .dump());
  REQUIRE(call.status == 202);
  auto const case_id = json::parse(call.body)["case_id"].get<std::string>();
  auto const message_id = s.reply(case_id, "U kunt een nieuwe pas aanvragen bij de balie.");
  REQUIRE(eventually([&] { return s.delivery(case_id, message_id) == "sent"; }));
  CHECK(form_value(kannel.requests().back().target.substr(kannel.requests().back().target.find('?') + 1), "to") == "+31600000111");

  REQUIRE(s.kannel("p-1", "+31600000111", "Moet ik een afspraak maken?").status == 200);
  CHECK(s.stored() == 0);  // nothing new in the SMS inbox
  auto const v = s.view(case_id);
  CHECK(v["messages"].back()["text"] == "Moet ik een afspraak maken?");
  CHECK(v["messages"].back()["channel"] == "sms");
}

TEST_CASE("a caller who asked to be called back gets the acknowledgement by SMS on a mobile number; not on a landline, not after STOP") {
  fake_provider kannel;
  kannel.answer(202, "0: Accepted for delivery");
  sms_stack s(kannel.url(), {{"retry_initial_seconds", 1}});
  auto const call = [&](std::string const& id, std::string const& number, bool callback) {
    auto const r = http_call(s.port(), "POST", "/api/v1/transcripts", as(system_token),
                             json{{"call_id", id}, {"caller", number}, {"callback_requested", callback},
                                  {"segments", {{{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "Bel mij terug."}}}}}.dump());
    REQUIRE(r.status == 202);
    return json::parse(r.body)["reference"].get<std::string>();
  };
  auto const reference = call("cb-1", "06 00000051", true);
  REQUIRE(kannel.wait_for(1));
  auto const query = kannel.requests()[0].target.substr(kannel.requests()[0].target.find('?') + 1);
  CHECK(form_value(query, "to") == "+31600000051");
  auto const text = form_value(query, "text");
  CHECK(text.find(reference) != std::string::npos);
  CHECK(text.find("U krijgt uiterlijk ") != std::string::npos);
  CHECK(text.find("Bel 14") != std::string::npos);

  call("cb-2", "+31 20 0000000", true);  // a landline: no SMS reaches it
  call("cb-3", "06 00000052", false);    // no callback asked
  REQUIRE(s.kannel("cb-stop", "+31600000053", "STOP").status == 200);
  REQUIRE(kannel.wait_for(2));  // the STOP's confirmation
  call("cb-4", "06 00000053", true);  // opted out
  // A marker after them all: the next SMS to leave is this one's acknowledgement, nothing in between.
  call("cb-5", "06 00000054", true);
  REQUIRE(kannel.wait_for(3));
  auto const last = kannel.requests()[2].target;
  CHECK(form_value(last.substr(last.find('?') + 1), "to") == "+31600000054");
}
