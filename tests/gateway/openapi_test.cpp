#include "gateway/api.hpp"
#include "gateway/daemon.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

TEST_CASE("the OpenAPI document is valid JSON and describes every route the server has") {
  auto const doc = nlohmann::json::parse(balie::gateway::openapi_document(), nullptr, false);
  REQUIRE(!doc.is_discarded());
  CHECK(doc["openapi"].get<std::string>().rfind("3.", 0) == 0);
  std::size_t documented = 0;
  for (auto const& [path, ops] : doc["paths"].items()) documented += ops.size();
  // The routes of a daemon built (not started) from the developer config, which runs every channel.
  auto cfg = balie::gateway::load_config(std::string(BALIE_SOURCE_DIR) + "/config/dev.json", std::filesystem::path("/tmp/balie-openapi-test"));
  auto const routes = balie::gateway::daemon(cfg).routes();
  for (auto const& r : routes) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    CHECK_MESSAGE(doc["paths"].contains(r.pattern), r.pattern);
    if (doc["paths"].contains(r.pattern)) CHECK_MESSAGE(doc["paths"][r.pattern].contains(method), (r.method + " " + r.pattern));
  }
  CHECK(documented == routes.size());  // nothing documented that does not exist
}
