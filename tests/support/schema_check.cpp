#include "tests/support/schema_check.hpp"

#include "tests/support/redis_server.hpp"

#include <cstdio>
#include <fstream>

namespace balie::test {

std::string schema_errors(std::vector<nlohmann::json> const& documents) {
  temp_dir dir;
  auto const file = dir.path / "documents.json";
  std::ofstream(file) << nlohmann::json(documents).dump();
  std::string const cmd = "python3 '" + std::string(BALIE_SOURCE_DIR) + "/tests/support/validate_schema.py' '" +
                          std::string(BALIE_SOURCE_DIR) + "/config/case-message-1.schema.json' '" + file.string() + "' 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (::pclose(p) != 0 && out.empty()) out = "validator failed to run";
  } else {
    out = "cannot run python3";
  }
  return out;
}

} // namespace balie::test
