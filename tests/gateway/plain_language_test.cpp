// The API's plain-language hints (gateway/plain_language.cpp) against the
// table the staff page's hints are checked with too: both give the same hints.
#include "gateway/plain_language.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

using namespace balie::gateway;

TEST_CASE("every row of the shared plain-language table gives exactly its hints") {
  auto const jargon = read_jargon(std::string(BALIE_SOURCE_DIR) + "/web/inbox/jargon-nl.json");
  REQUIRE(jargon.size() > 20);
  std::ifstream in(std::string(BALIE_SOURCE_DIR) + "/tests/fixtures/plain-language.json");
  auto const table = nlohmann::json::parse(in);
  REQUIRE(table["cases"].size() >= 10);
  for (auto const& row : table["cases"]) {
    std::string const text = row["text"];
    std::vector<std::string> expected = row["hints"], got;
    for (auto const& h : plain_language_hints(text, jargon))
      got.push_back(h.kind == "sentence" ? "sentence:" + std::to_string(h.words) : h.kind + ":" + h.word);
    std::sort(expected.begin(), expected.end());
    std::sort(got.begin(), got.end());
    INFO(text);
    CHECK(got == expected);
  }
  CHECK(read_jargon("/nonexistent/jargon.json").empty());
}
