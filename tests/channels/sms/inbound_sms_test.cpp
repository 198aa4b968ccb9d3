// Each provider's incoming SMS read into one shape (CHANNELS.md 2.2): the
// sender in E.164 whatever the notation, the text in NFC, the provider's id
// as the dedup key; next to each, what is refused and why.
#include "channels/sms/inbound_sms.hpp"

#include <doctest/doctest.h>

#include <ostream>

namespace balie::sms {
// For doctest's messages: the refusal's reason.
std::ostream& operator<<(std::ostream& os, sms_refusal const& r) { return os << r.reason; }
std::ostream& operator<<(std::ostream& os, inbound_sms const& m) { return os << m.message_id; }
} // namespace balie::sms

using namespace balie::sms;

namespace {

std::string refusal(read_result const& r) { return r ? "" : r.error().reason; }

} // namespace

TEST_CASE("Twilio: From, To, Body and MessageSid from the form") {
  auto const r = read_twilio({{"MessageSid", "SM00000000000000000000000000000001"}, {"From", "+31600000001"}, {"To", "+3197010203040"},
                              {"Body", "Wanneer wordt het grofvuil opgehaald?"}, {"NumSegments", "1"}});
  REQUIRE(r.has_value());
  CHECK(r->from == "+31600000001");
  CHECK(r->to == "+3197010203040");
  CHECK(r->text == "Wanneer wordt het grofvuil opgehaald?");
  CHECK(r->message_id == "SM00000000000000000000000000000001");
  CHECK(refusal(read_twilio({{"From", "+31600000001"}, {"Body", "x"}})) == "message id: missing");
  CHECK(refusal(read_twilio({{"MessageSid", "SM1"}, {"Body", "x"}})) == "from: missing");
  CHECK(refusal(read_twilio({{"MessageSid", "SM1"}, {"From", "Gemeente"}, {"Body", "x"}})) == "from: not a phone number");
  // No country code begins with 0 (found by sms_fuzz: "+00…" once passed as E.164).
  CHECK(refusal(read_twilio({{"MessageSid", "SM1"}, {"From", "+00124920271"}})) == "from: not a phone number");
  CHECK(refusal(read_twilio({{"MessageSid", "SM1"}, {"From", "000124920271"}})) == "from: not a phone number");
  CHECK(refusal(read_twilio({{"MessageSid", "SM1"}, {"From", "+3160"}})) == "from: not a phone number");
  CHECK(refusal(read_twilio({{"MessageSid", "SM1\r\nX-Evil: 1"}, {"From", "+31600000001"}})) == "message id: not a plain identifier");
}

TEST_CASE("every Dutch notation of the sender becomes the same E.164 number") {
  for (auto const* from : {"0600000001", "06-00000001", "+31600000001", "0031600000001", "31600000001", "+31 6 00000001"}) {
    auto const r = read_twilio({{"MessageSid", "SM1"}, {"From", from}, {"Body", "Hallo"}});
    REQUIRE_MESSAGE(r.has_value(), from);
    CHECK_MESSAGE(r->from == "+31600000001", from);
  }
}

TEST_CASE("text: decomposed accents become NFC; invalid UTF-8 is refused") {
  auto const r = read_twilio({{"MessageSid", "SM1"}, {"From", "0600000001"}, {"Body", "Coe\xCC\x88" "fficie\xCC\x88nt"}});
  REQUIRE(r.has_value());
  CHECK(r->text == "Co\xC3\xAB" "ffici\xC3\xAB" "nt");  // coëfficiënt, precomposed
  CHECK(refusal(read_twilio({{"MessageSid", "SM1"}, {"From", "0600000001"}, {"Body", "\xC3("}})) == "text: not valid UTF-8");
}

TEST_CASE("Bird: the Channels API message; only incoming ones") {
  auto const body = R"({"id":"96a0b5fa-a986-453d-be5c-3117f989f025","channelId":"614208aa-0000-0000-0000-000000000000",
    "sender":{"contact":{"id":"32cf5eee-0000-0000-0000-000000000000","identifierKey":"phonenumber","identifierValue":"+31600000002"}},
    "receiver":{"connector":{"id":"86cc4dc0-0000-0000-0000-000000000000"}},
    "body":{"type":"text","text":{"text":"Mijn container is niet geleegd"}},
    "status":"delivered","direction":"incoming","createdAt":"2026-11-28T08:32:50.736Z"})";
  auto const r = read_bird(body);
  REQUIRE(r.has_value());
  CHECK(r->from == "+31600000002");
  CHECK(r->text == "Mijn container is niet geleegd");
  CHECK(r->message_id == "96a0b5fa-a986-453d-be5c-3117f989f025");
  CHECK(r->sent_at.has_value());
  CHECK(refusal(read_bird(R"({"id":"x","direction":"outgoing"})")) == "direction: not incoming");
  CHECK(refusal(read_bird("[1,2]")) == "body: not a JSON object");
  CHECK(refusal(read_bird("{\"id\":")) == "body: not a JSON object");
}

TEST_CASE("MessageBird (legacy SMS API): originator, recipient, body, id") {
  auto const r = read_messagebird({{"id", "e8077d803532c0b5937c639b60216938"}, {"originator", "31600000003"}, {"recipient", "3197010203040"},
                                   {"body", "Paspoort aanvragen?"}, {"createdDatetime", "2026-11-28T09:00:00+00:00"}});
  REQUIRE(r.has_value());
  CHECK(r->from == "+31600000003");
  CHECK(r->text == "Paspoort aanvragen?");
  CHECK(r->message_id == "e8077d803532c0b5937c639b60216938");
}

TEST_CASE("CM.com: reference, from.number, message.text; its UTC time without a zone; SMS only") {
  auto const body = R"({"reference":"c3d7a1b2","messageContext":"","from":{"number":"0031600000004","name":""},
    "to":{"number":"+3197010203040"},"message":{"text":"Wanneer wordt het grofvuil opgehaald?"},
    "groupings":["","",""],"timeUtc":"2026-11-28T09:00:00","channel":"SMS"})";
  auto const r = read_cm(body);
  REQUIRE(r.has_value());
  CHECK(r->from == "+31600000004");
  CHECK(r->message_id == "c3d7a1b2");
  REQUIRE(r->sent_at.has_value());
  CHECK(balie::format_rfc3339(*r->sent_at) == "2026-11-28T09:00:00.000Z");
  CHECK(refusal(read_cm(R"({"reference":"r","from":{"number":"0600000004"},"message":{"text":"x"},"channel":"WhatsApp"})")) ==
        "channel: not SMS");
}

TEST_CASE("Kannel: UTF-8 as posted; UCS-2 as UTF-16BE decoded, emoji included; a lone surrogate or odd length refused") {
  form_fields const query = {{"from", "+31600000005"}, {"to", "4444"}, {"id", "dfaa9cad-7c2e-4943-91ca-ecb748d8952b"}, {"charset", "UTF-8"}};
  auto const plain = read_kannel(query, "Hallo gemeente, mijn container is niet geleegd");
  REQUIRE(plain.has_value());
  CHECK(plain->to == "4444");
  CHECK(plain->text == "Hallo gemeente, mijn container is niet geleegd");
  form_fields ucs2 = query;
  ucs2[3].second = "UTF-16BE";
  auto const emoji = read_kannel(ucs2, std::string("\x00H\x00o\x00i\x00 \xD8\x3D\xDE\x00", 12));  // "Hoi 😀"
  REQUIRE(emoji.has_value());
  CHECK(emoji->text == "Hoi \xF0\x9F\x98\x80");
  CHECK(refusal(read_kannel(ucs2, std::string("\x00H\xD8\x3D", 4))) == "text: invalid UTF-16 (an odd length or a lone surrogate)");
  CHECK(refusal(read_kannel(ucs2, std::string("\x00H\xDE\x00", 4))) == "text: invalid UTF-16 (an odd length or a lone surrogate)");
  CHECK(refusal(read_kannel(ucs2, std::string("\x00H\x00", 3))) == "text: invalid UTF-16 (an odd length or a lone surrogate)");
  form_fields latin = query;
  latin[3].second = "ISO-8859-1";
  CHECK(refusal(read_kannel(latin, "x")) == "charset: only UTF-8 and UTF-16BE are read (set mo-recode in Kannel)");
}
