// The checks a reply passes before it is queued: SMS parts (GSM 03.38 and
// UCS-2 counting), address validity, and which addresses a reply may use.
#include "channels/addresses.hpp"
#include "channels/time_format.hpp"
#include "channels/sms_segments.hpp"
#include "gateway/staff_views.hpp"

#include <doctest/doctest.h>

using namespace balie;

TEST_CASE("SMS parts: GSM-7 160/153, extension characters count twice, anything else makes it UCS-2 70/67") {
  CHECK(sms_segments("").segments == 0);
  CHECK(sms_segments(std::string(160, 'a')).segments == 1);
  CHECK(sms_segments(std::string(161, 'a')).segments == 2);
  CHECK(sms_segments(std::string(306, 'a')).segments == 2);
  CHECK(sms_segments(std::string(307, 'a')).segments == 3);
  auto const euro = sms_segments("€");  // extension table: escape + code
  CHECK(euro.gsm7);
  CHECK(euro.units == 2);
  std::string eighty_euros;
  for (int i = 0; i < 80; ++i) eighty_euros += "€";
  CHECK(sms_segments(eighty_euros).segments == 1);  // 160 septets
  CHECK(sms_segments(eighty_euros + "a").segments == 2);
  auto const accents = sms_segments("Dag Zoë, uw paspoort ligt klaar bij de balie.");  // ë is not in GSM-7
  CHECK(!accents.gsm7);
  CHECK(sms_segments("Dag Zoé").gsm7);  // é is
  std::string seventy_ucs;
  for (int i = 0; i < 70; ++i) seventy_ucs += "ë";
  CHECK(sms_segments(seventy_ucs).segments == 1);
  CHECK(sms_segments(seventy_ucs + "ë").segments == 2);
  auto const emoji = sms_segments("👍");  // outside the BMP: two UTF-16 units
  CHECK(emoji.units == 2);
}

TEST_CASE("email addresses a reply may go to") {
  CHECK(is_valid_email_address("j.jansen@gemeente.test"));
  CHECK(is_valid_email_address("bewoner+balie@voorbeeld.test"));
  CHECK(is_valid_email_address("zoë@bücher.test"));
  for (auto const* bad : {"", "geen-apenstaart", "@gemeente.test", "a@", "a@localhost", "a@@b.test", "a b@c.test", "a@b..test",
                          ".a@b.test", "a.@b.test", "a@-.test.", "a@b.test\r\nBcc: x@y.test", "a<b>@c.test", "a@b_c.test"}) {
    CAPTURE(bad);
    CHECK(!is_valid_email_address(bad));
  }
  CHECK(!is_valid_email_address(std::string(65, 'a') + "@b.test"));
  CHECK(!is_valid_email_address("a@" + std::string(250, 'b') + ".test"));
}

TEST_CASE("E.164 numbers") {
  CHECK(is_e164("+31600000000"));
  CHECK(!is_e164("0600000000"));
  CHECK(!is_e164("+0600000000"));
  CHECK(!is_e164("+3160000 0000"));
  CHECK(!is_e164("+3160000000000000"));
}

TEST_CASE("reply options: the resident's own addresses, the channel they last used first, a call answered by SMS") {
  // Stored messages as Balie writes them: whole case-messages.
  auto stored = [](direction d, channel ch, std::vector<digital_address> addresses) {
    case_message m;
    m.id = "01JDX7Y8Z9ABCDEFGHJKMNPQRS";
    m.case_id = "01JDX7Y8Z9ABCDEFGHJKMNPQRT";
    m.reference = "BL-7K3M9Q";
    m.direction = d;
    m.channel = ch;
    m.provider = "test";
    m.provider_message_id = "t-1";
    m.occurred_at = m.received_at = *parse_rfc3339("2026-11-28T09:00:00Z");
    m.resident.addresses = std::move(addresses);
    m.text = "Hallo";
    if (d == direction::outbound) m.delivery = delivery_info{"sent", 1, std::nullopt, m.received_at};
    queue::stored_message out{"1-0", to_json(m).dump()};
    REQUIRE(gateway::stored_case_message(out));  // the fixture is one the reader accepts
    return out;
  };
  auto inbound = [&](channel ch, std::vector<digital_address> addresses) { return stored(direction::inbound, ch, std::move(addresses)); };
  std::vector<queue::stored_message> messages = {
      inbound(channel::email, {{"email", "j.jansen@gemeente.test"}}),
      inbound(channel::phone, {{"phone", "+31600000001"}, {"email", "j.jansen@gemeente.test"}}),
      stored(direction::outbound, channel::email, {{"email", "iemand@anders.test"}}),
      // Not a case-message (a damaged entry): skipped, never a throw.
      queue::stored_message{"4-0", R"({"direction": 5, "resident": {"addresses": "x"}})"},
      queue::stored_message{"5-0", "{not json"},
  };
  auto const options = gateway::reply_options(messages);
  REQUIRE(options.size() == 2);
  CHECK(options[0].channel == channel::sms);
  CHECK(options[0].address == "+31600000001");
  CHECK(options[0].is_default);
  CHECK(options[1].channel == channel::email);
  CHECK(!options[1].is_default);
  // Addresses Balie wrote to are not the resident's own.
  for (auto const& o : options) CHECK(o.address != "iemand@anders.test");

  messages.push_back(inbound(channel::email, {{"email", "j.jansen@gemeente.test"}}));
  auto const later = gateway::reply_options(messages);
  CHECK(later[0].channel == channel::email);
  CHECK(later[0].is_default);
  CHECK(gateway::reply_options({}).empty());
}
