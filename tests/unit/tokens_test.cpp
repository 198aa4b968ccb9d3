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
