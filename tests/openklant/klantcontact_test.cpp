// The mapping of a case-message onto an Open Klant contact moment, and its
// limits in characters. Inputs are written out by hand; so are expectations.
#include "openklant/answers.hpp"
#include "openklant/klantcontact.hpp"

#include <doctest/doctest.h>

using namespace balie;
using namespace balie::openklant;
using nlohmann::json;

namespace {

json email_message() {
  return json::parse(R"({
    "schema": "balie.case-message/1", "id": "01JDE0000000000000000000M1", "case_id": "01JDE0000000000000000000C1",
    "reference": "BL-7K3M9Q", "direction": "inbound", "channel": "email", "provider": "lmtp",
    "provider_message_id": "vraag.1@burger.test", "occurred_at": "2026-12-01T10:00:00.123Z", "received_at": "2026-12-01T10:00:01.000Z",
    "resident": {"name": "Sam de Vries", "addresses": [{"kind": "email", "value": "sam@burger.test"}], "language": "eng",
                 "identity_assurance": "channel", "needs": ["screen-reader"]},
    "subject": "Vraag over de container", "text": "Mijn container is kapot.",
    "attachments": [{"filename": "foto.jpg", "content_type": "image/jpeg", "size": 3, "ref": "x",
                     "sha256": "1f2a8b7e6c6f3a0dd4b1d0c4b8a7e2f19bb3c2a4d9f0e1c2b3a4d5e6f7a8b9c0"}],
    "classification": {"confidential": false, "possible_bsn": false, "retention": "P1Y"}, "auto_generated": false})");
}

case_facts const facts{"01JDE0000000000000000000C1", "BL-7K3M9Q", "Container kapot", false};

std::string repeat(std::string const& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

} // namespace

TEST_CASE("limits are counted in characters, as Open Klant counts them, and a cut text ends in ...") {
  CHECK(cut(repeat("a", 200), 200) == repeat("a", 200));
  CHECK(cut(repeat("a", 201), 200) == repeat("a", 197) + "...");
  // Four bytes each: 300 of them are 1200 bytes but 300 characters.
  CHECK(cut(repeat("\xF0\x9F\x98\x80", 200), 200) == repeat("\xF0\x9F\x98\x80", 200));
  CHECK(cut(repeat("\xF0\x9F\x98\x80", 300), 200) == repeat("\xF0\x9F\x98\x80", 197) + "...");
  CHECK(cut(repeat("\xC3\xA9", 1001), 1000) == repeat("\xC3\xA9", 997) + "...");
  CHECK(cut("", 200).empty());
}

TEST_CASE("phone numbers take the form Open Klant checks; service numbers are no digitaal adres") {
  CHECK(openklant_phone("+31 6 00000001") == "+31600000001");
  CHECK(openklant_phone("06-00 00 00 01") == "0600000001");
  CHECK(openklant_phone("0031600000001") == "0031600000001");
  CHECK(openklant_phone("0800-1234567").empty());
  CHECK(openklant_phone("0900 1234567").empty());
  CHECK(openklant_phone("14 020").empty());
  CHECK(openklant_phone("+31 6 0000000x").empty());
  CHECK(openklant_phone("").empty());
}

TEST_CASE("an email becomes a klantcontact with its betrokkene, the case as onderwerpobject, its address and its file") {
  openklant_config const config;
  auto const m = contact_moment_for(email_message(), facts, json(), "", config);
  REQUIRE(m);
  CHECK(m->message_id == "01JDE0000000000000000000M1");
  CHECK(m->kanaal == "E-mail");
  CHECK(m->request == json::parse(R"({
    "klantcontact": {"kanaal": "E-mail", "onderwerp": "Vraag over de container", "inhoud": "Mijn container is kapot.",
                     "referentienummer": "BL-7K3M9Q", "taal": "eng", "vertrouwelijk": false,
                     "plaatsgevondenOp": "2026-12-01T10:00:00.123Z", "indicatieContactGelukt": true,
                     "metadata": {"gw.bericht": "01JDE0000000000000000000M1", "gw.kanaal": "email", "gw.aanbieder": "lmtp"}},
    "betrokkene": {"rol": "klant", "initiator": true},
    "onderwerpobject": {"onderwerpobjectidentificator": {"objectId": "01JDE0000000000000000000C1", "codeObjecttype": "gesprek",
                                                         "codeRegister": "balie", "codeSoortObjectId": "id"}}})"));
  REQUIRE(m->address);
  CHECK(*m->address == json{{"adres", "sam@burger.test"}, {"soortDigitaalAdres", "email"}, {"omschrijving", "E-mail"}});
  REQUIRE(m->attachments.size() == 1);
  CHECK(m->attachments[0] == json{{"objectId", "1f2a8b7e6c6f3a0dd4b1d0c4b8a7e2f19bb3c2a4d9f0e1c2b3a4d5e6f7a8b9c0"},
                                  {"codeObjecttype", "bestand"}, {"codeRegister", "balie"}, {"codeSoortObjectId", "sha256"}});
}

TEST_CASE("a long text is cut to 1000 characters and its full text becomes a bijlage; a long subject to 200") {
  auto message = email_message();
  message["text"] = repeat("\xC3\xA9", 1500);
  message["subject"] = repeat("s", 250);
  auto const m = contact_moment_for(message, facts, json(), "", openklant_config{});
  REQUIRE(m);
  CHECK(m->request["klantcontact"]["inhoud"] == repeat("\xC3\xA9", 997) + "...");
  CHECK(m->request["klantcontact"]["onderwerp"] == repeat("s", 197) + "...");
  REQUIRE(m->attachments.size() == 2);
  CHECK(m->attachments[0] == json{{"objectId", "01JDE0000000000000000000M1"}, {"codeObjecttype", "volledige-tekst"},
                                  {"codeRegister", "balie"}, {"codeSoortObjectId", "id"}});
}

TEST_CASE("confidential: the case's flag, the message's, or a possible BSN in it") {
  auto message = email_message();
  CHECK(contact_moment_for(message, case_facts{facts.case_id, facts.reference, facts.subject, true}, json(), "", {})
            ->request["klantcontact"]["vertrouwelijk"] == true);
  message["classification"]["possible_bsn"] = true;
  CHECK(contact_moment_for(message, facts, json(), "", {})->request["klantcontact"]["vertrouwelijk"] == true);
}

TEST_CASE("each channel gets its configured kanaal and its kind of digitaal adres; a web chat has none") {
  openklant_config config;
  config.kanalen["sms"] = "Sms-bericht";
  auto sms = email_message();
  sms["channel"] = "sms";
  sms["provider"] = "kannel";
  sms.erase("subject");
  sms["text"] = "\n  Is de milieustraat open?\nGroet";
  sms["resident"]["addresses"] = json::parse(R"([{"kind": "phone", "value": "+31600000001"}])");
  auto const s = contact_moment_for(sms, facts, json(), "", config);
  REQUIRE(s);
  CHECK(s->kanaal == "Sms-bericht");
  CHECK(s->request["klantcontact"]["onderwerp"] == "Container kapot");  // the case's subject before the text's first line
  CHECK(*s->address == json{{"adres", "+31600000001"}, {"soortDigitaalAdres", "telefoonnummer"}, {"omschrijving", "SMS"}});

  auto whatsapp = sms;
  whatsapp["channel"] = "messenger";
  whatsapp["provider"] = "whatsapp-cm";
  whatsapp["resident"]["addresses"] = json::parse(R"([{"kind": "whatsapp", "value": "+31600000002"}])");
  auto const w = contact_moment_for(whatsapp, facts, json(), "", config);
  REQUIRE(w);
  CHECK(w->kanaal == "WhatsApp");
  CHECK(*w->address == json{{"adres", "+31600000002"}, {"soortDigitaalAdres", "telefoonnummer"}, {"omschrijving", "WhatsApp"}});

  auto matrix = whatsapp;
  matrix["provider"] = "matrix";
  matrix["resident"]["addresses"] = json::parse(R"([{"kind": "matrix", "value": "@sam:burger.test"}])");
  auto const x = contact_moment_for(matrix, facts, json(), "", config);
  REQUIRE(x);
  CHECK(x->kanaal == "Matrix");
  CHECK(*x->address == json{{"adres", "@sam:burger.test"}, {"soortDigitaalAdres", "overig"}, {"omschrijving", "Matrix"}});

  auto chat = sms;
  chat["channel"] = "webchat";
  chat["provider"] = "widget";
  chat["resident"]["addresses"] = json::parse(R"([{"kind": "webchat", "value": "01JDE0000000000000000000W1"}])");
  auto const c = contact_moment_for(chat, case_facts{facts.case_id, facts.reference, "", false}, json(), "", config);
  REQUIRE(c);
  CHECK(c->kanaal == "Live chat");
  CHECK(c->request["klantcontact"]["onderwerp"] == "Is de milieustraat open?");
  CHECK_FALSE(c->address);
}

TEST_CASE("a staff reply: the municipality initiated it, its delivery says whether contact succeeded, it answers the resident's") {
  auto reply = email_message();
  reply["direction"] = "outbound";
  reply.erase("attachments");
  auto const sent = contact_moment_for(reply, facts, json{{"status", "delivered"}}, "7b0a4bd9-3e43-4a5c-9b8e-1f6b2a1c0d11", {});
  REQUIRE(sent);
  CHECK(sent->request["betrokkene"]["initiator"] == false);
  CHECK(sent->request["klantcontact"]["indicatieContactGelukt"] == true);
  CHECK(sent->request["onderwerpobject"]["wasKlantcontact"] == json{{"uuid", "7b0a4bd9-3e43-4a5c-9b8e-1f6b2a1c0d11"}});
  CHECK(contact_moment_for(reply, facts, json{{"status", "failed"}}, "", {})->request["klantcontact"]["indicatieContactGelukt"] == false);
  CHECK_FALSE(contact_moment_for(reply, facts, json{{"status", "queued"}}, "", {})->request["klantcontact"].contains("indicatieContactGelukt"));
}

TEST_CASE("automatic messages and unreadable ones are no contact moment") {
  auto automatic = email_message();
  automatic["auto_generated"] = true;
  CHECK_FALSE(contact_moment_for(automatic, facts, json(), "", {}));
  CHECK_FALSE(contact_moment_for(json::array(), facts, json(), "", {}));
  auto timeless = email_message();
  timeless["occurred_at"] = "gisteren";
  CHECK_FALSE(contact_moment_for(timeless, facts, json(), "", {}));
}

TEST_CASE("Open Klant's answers: 400 names fields and codes but never the reasons; the rest is tried again") {
  channels::outbound_answer refused;
  refused.status = 400;
  refused.body = R"({"code": "invalid", "invalidParams": [{"name": "klantcontact.kanaal", "code": "invalid",
                     "reason": "Kanaal 'sam@burger.test' is ongeldig"}]})";
  auto const r = read_answer(refused, 201, "POST /maak-klantcontact");
  CHECK(r.outcome == api_result::kind::refused);
  CHECK(r.detail == "POST /maak-klantcontact: Open Klant refused it (400): klantcontact.kanaal (invalid)");

  channels::outbound_answer busy;
  busy.status = 429;
  busy.retry_after = "30";
  CHECK(read_answer(busy, 201, "x").outcome == api_result::kind::unavailable);
  CHECK(read_answer(busy, 201, "x").retry_after == std::chrono::seconds(30));
  channels::outbound_answer token;
  token.status = 401;
  CHECK(read_answer(token, 201, "x").outcome == api_result::kind::bad_credentials);
  channels::outbound_answer none;
  none.transport = "Timeout was reached";
  CHECK(read_answer(none, 201, "x").outcome == api_result::kind::unavailable);
  channels::outbound_answer ok;
  ok.status = 201;
  ok.body = "not json";
  CHECK(read_answer(ok, 201, "x").outcome == api_result::kind::unavailable);
}
