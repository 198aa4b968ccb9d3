#include "channels/case_message.hpp"
#include "channels/time_format.hpp"
#include "tests/support/schema_check.hpp"

#include <doctest/doctest.h>

using namespace balie;

namespace {
case_message sample() {
  case_message m;
  m.id = "01JDX7Y8Z9ABCDEFGHJKMNPQRS";
  m.case_id = "01JDX7Y8Z9ABCDEFGHJKMNPQRT";
  m.reference = "BL-7K3M9Q";
  m.channel = channel::phone;
  m.provider = "transcript-api";
  m.provider_message_id = "kcc-1";
  m.occurred_at = *parse_rfc3339("2026-11-28T09:00:00Z");
  m.received_at = *parse_rfc3339("2026-11-28T09:03:00.250Z");
  m.resident.name = "Jan Jansen";
  m.resident.addresses = {{"phone", "+31600000000"}};
  m.resident.needs = {resident_need::callback};
  m.subject = "Telefoongesprek";
  m.text = "Ik bel over mijn container.";
  m.attachments = {{"opname.txt", "text/plain", 12, std::string(64, 'a'), "sha256/aa"}};
  m.transcript = transcript_info{{{speaker::resident, std::nullopt, 0, 1000, "Ik bel over mijn container.", 0.9}}, true, "whisper.cpp", std::nullopt};
  m.routing = routing_info{"telefoon", priority::high, std::nullopt, "channel:phone"};
  m.delivery = delivery_info{"sent", 1, std::nullopt, *parse_rfc3339("2026-11-28T09:04:00Z")};
  m.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  return m;
}
} // namespace

TEST_CASE("a case-message survives JSON out and in unchanged") {
  auto const m = sample();
  auto const j = to_json(m);
  CHECK(j["schema"] == "balie.case-message/1");
  CHECK(j["received_at"] == "2026-11-28T09:03:00.250Z");
  CHECK(j["resident"]["needs"][0] == "callback");
  auto const back = case_message_from_json(j);
  REQUIRE(back.has_value());
  CHECK(*back == m);
  CHECK(to_json(*back) == j);
  CHECK(balie::test::schema_errors({j}) == "");
}

TEST_CASE("reading a case-message rejects what the schema rejects, naming the field") {
  auto const good = to_json(sample());
  struct bad {
    std::function<void(nlohmann::json&)> spoil;
    std::string pointer;
  };
  std::vector<bad> cases = {
      {[](auto& j) { j.erase("id"); }, "/id"},
      {[](auto& j) { j["channel"] = "fax"; }, "/channel"},
      {[](auto& j) { j["received_at"] = "yesterday"; }, "/received_at"},
      {[](auto& j) { j["reference"] = "BL-TOOLONG123"; }, "/reference"},
      {[](auto& j) { j["resident"]["needs"] = {"telepathy"}; }, "/resident/needs/0"},
      {[](auto& j) { j["transcript"]["segments"][0]["start_ms"] = "zero"; }, "/transcript/segments/0/start_ms"},
      {[](auto& j) { j["schema"] = "balie.case-message/2"; }, "/schema"},
  };
  for (auto const& c : cases) {
    auto j = good;
    c.spoil(j);
    auto const r = case_message_from_json(j);
    REQUIRE_MESSAGE(!r.has_value(), c.pointer);
    CHECK(r.error().pointer == c.pointer);
    CHECK(r.error().status == 422);
    CHECK_MESSAGE(balie::test::schema_errors({j}) != "", (std::string("the schema must reject it too: ") + c.pointer));
  }
  CHECK(!case_message_from_json(nlohmann::json::array()).has_value());
}
