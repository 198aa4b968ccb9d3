#include "server/log.hpp"
#include "server/log_mask.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using balie::server::mask_personal_data;

TEST_CASE("every 8-9 digit run is masked, valid BSN or not") {
  for (auto v : {"123456782", "111222333", "012345672", "12345672", "100000009", "123456789", "732891254", "000000000"}) {
    auto const masked = mask_personal_data(std::string("bsn ") + v + " end");
    CHECK_MESSAGE(masked == "bsn [number] end", v);
  }
  CHECK(mask_personal_data("123.456.782") == "[number]");
  CHECK(mask_personal_data("123 456 782") == "[number]");
}

TEST_CASE("phone numbers, email addresses and IBANs are masked") {
  CHECK(mask_personal_data("bel +31 6 00000000 terug") == "bel [number] terug");
  CHECK(mask_personal_data("06-00000000") == "[number]");
  CHECK(mask_personal_data("020 123 4567") == "[number]");
  CHECK(mask_personal_data("mail jan.de.vries+test@gemeente.test nu") == "mail [email] nu");
  CHECK(mask_personal_data("NL91ABNA0417164300") == "[iban]");
  CHECK(mask_personal_data("iban NL91 ABNA 0417 1643 00.") == "iban [iban].");
}

TEST_CASE("short numbers and ordinary text survive masking") {
  CHECK(mask_personal_data("port 8080, status 413") == "port 8080, status 413");
  CHECK(mask_personal_data("user@localhost") == "user@localhost");
  CHECK(mask_personal_data("") == "");
}

TEST_CASE("log lines carry masked values but keep Balie's own identifiers") {
  std::string line;
  balie::server::log::set_sink([&](std::string_view l) { line = l; });
  balie::server::log::info("test.event", {{"message_id", "01JD12345678ABCDEFGHJKMNPQ"}, {"detail", "caller +31600000000 bsn 123456782"}});
  balie::server::log::set_sink(nullptr);
  auto const j = nlohmann::json::parse(line);
  CHECK(j["event"] == "test.event");
  CHECK(j["level"] == "info");
  CHECK(j.contains("time"));
  CHECK(j["message_id"] == "01JD12345678ABCDEFGHJKMNPQ");
  CHECK(j["detail"] == "caller [number] bsn [number]");
  CHECK(line.find("123456782") == std::string::npos);
}
