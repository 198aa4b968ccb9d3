#pragma once
// Reads a file from tests/fixtures/.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace balie::test {

inline std::string read_fixture(std::string const& relative_path) {
  std::ifstream in(std::string(BALIE_SOURCE_DIR) + "/tests/fixtures/" + relative_path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + relative_path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace balie::test
