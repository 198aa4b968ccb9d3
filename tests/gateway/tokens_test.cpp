#include "gateway/config.hpp"
#include "gateway/tokens.hpp"
#include "tests/support/redis_server.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace balie::gateway;

TEST_CASE("demo tokens map to their roles and inboxes; anything else is unknown") {
  auto const store = token_store::load(std::string(BALIE_SOURCE_DIR) + "/config/dev-tokens.json");
  auto const staff = store.authenticate("staff-demo-token");
  REQUIRE(staff);
  CHECK(staff->role == role::staff);
  CHECK(staff->may_see("telefoon"));
  CHECK(!staff->may_see("vergunningen"));
  CHECK(store.authenticate("admin-demo-token")->role == role::admin);
  CHECK(store.authenticate("system-demo-token")->role == role::system);
  CHECK(!store.authenticate("staff-demo-tokenX"));
  CHECK(!store.authenticate(""));
  CHECK(!store.authenticate(sha256_hex("staff-demo-token")));  // the hash itself is not a token
}

TEST_CASE("the tokens file holds hashes only and is validated") {
  std::ifstream in(std::string(BALIE_SOURCE_DIR) + "/config/dev-tokens.json");
  std::string const text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find("demo-token") == std::string::npos);
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "t.json") << R"({"tokens": [{"name": "x", "sha256": "abc", "role": "staff"}]})";
  CHECK_THROWS_AS(token_store::load(dir.path / "t.json"), config_error);
  std::ofstream(dir.path / "u.json") << R"({"tokens": [{"name": "x", "sha256": ")" + sha256_hex("t") + R"(", "role": "root"}]})";
  CHECK_THROWS_AS(token_store::load(dir.path / "u.json"), config_error);
}

TEST_CASE("two tokens with one name are refused: audit lines must say who acted") {
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "d.json") << R"({"tokens": [{"name": "anna", "sha256": ")" + sha256_hex("a") +
                                            R"(", "role": "staff", "inboxes": ["algemeen"]}, {"name": "anna", "sha256": ")" +
                                            sha256_hex("b") + R"(", "role": "admin"}]})";
  try {
    token_store::load(dir.path / "d.json");
    FAIL("a duplicate name was accepted");
  } catch (config_error const& e) {
    CHECK(std::string(e.what()) == "tokens: /tokens/1/name: 'anna' is used by another token");
  }
}

TEST_CASE("balied --new-token: a 256-bit token, shown once, and a tokens-file entry that authenticates it") {
  auto const t = make_token("bram", "staff", {"algemeen", "telefoon"});
  CHECK(t.token.size() == 43);  // 32 bytes in base64url without padding
  CHECK(t.entry["sha256"] == sha256_hex(t.token));
  CHECK(t.entry["role"] == "staff");
  CHECK(t.entry["inboxes"] == nlohmann::json::array({"algemeen", "telefoon"}));
  CHECK(make_token("bram", "staff", {"algemeen"}).token != make_token("bram", "staff", {"algemeen"}).token);
  balie::test::temp_dir dir;
  std::ofstream(dir.path / "n.json") << nlohmann::json{{"tokens", {t.entry}}}.dump();
  auto const who = token_store::load(dir.path / "n.json").authenticate(t.token);
  REQUIRE(who);
  CHECK(who->name == "bram");
  CHECK(who->may_see("telefoon"));
  CHECK_THROWS_AS(make_token("bram", "root", {}), config_error);
  CHECK_THROWS_AS(make_token("bram", "staff", {}), config_error);
  CHECK_THROWS_AS(make_token("", "admin", {}), config_error);
  CHECK_THROWS_AS(make_token("x", "admin", {"algemeen"}), config_error);
}

TEST_CASE("confidential_inboxes: only inboxes of the same staff token; a reload that takes the right away ends what is open") {
  balie::test::temp_dir dir;
  auto const file = [&](std::string const& confidential) {
    std::ofstream(dir.path / "c.json") << R"({"tokens": [{"name": "anna", "sha256": ")" + sha256_hex("anna-token") +
                                              R"(", "role": "staff", "inboxes": ["algemeen", "telefoon"], "confidential_inboxes": )" + confidential + "}]}";
    return dir.path / "c.json";
  };
  auto const store = token_store::load(file(R"(["telefoon"])"));
  auto const anna = store.authenticate("anna-token");
  REQUIRE(anna.has_value());
  CHECK(anna->may_read_confidential("telefoon"));
  CHECK(!anna->may_read_confidential("algemeen"));
  CHECK(!anna->may_read_confidential("vergunningen"));
  try {
    token_store::load(file(R"(["vergunningen"])"));
    FAIL("an inbox the token cannot see was accepted");
  } catch (config_error const& e) {
    CHECK(std::string(e.what()) == "tokens: /tokens/0/confidential_inboxes: expected inbox ids of this staff token's inboxes");
  }
  CHECK(token_store::load(file(R"(["telefoon", "algemeen"])")).still_grants(*anna));
  CHECK(!token_store::load(file("[]")).still_grants(*anna));
}
