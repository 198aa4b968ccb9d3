#include "tests/support/fake_openklant.hpp"

#include "tests/support/http_client.hpp"

#include <charconv>
#include <csignal>
#include <stdexcept>

namespace balie::test {

fake_openklant::fake_openklant(std::string const& kanalen, int page_size) {
  std::string const source = BALIE_SOURCE_DIR;
  std::vector<std::string> argv{"/usr/bin/python3", source + "/tests/support/fake_openklant.py", "--openapi",
                                source + "/tests/fixtures/openklant/openklant-2.18.0-klantinteracties-openapi.yaml", "--token", token,
                                "--page-size", std::to_string(page_size)};
  if (!kanalen.empty()) argv.insert(argv.end(), {"--kanalen", kanalen});
  process_.spawn(argv);
  std::string line;
  if (!process_.wait_for_line([&](std::string const& l) { return l.rfind("listening ", 0) == 0 && !(line = l).empty(); }))
    throw std::runtime_error("the fake Open Klant did not start (python3-yaml and python3-jsonschema installed?)");
  auto const digits = line.substr(10);
  auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port_);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port_ == 0)
    throw std::runtime_error("the fake Open Klant said: " + line);
}

fake_openklant::~fake_openklant() {
  if (process_.running()) process_.signal_and_wait(SIGTERM);
}

std::string fake_openklant::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/klantinteracties/api/v1"; }

nlohmann::json fake_openklant::requests() const {
  return nlohmann::json::parse(http_call(port_, "GET", "/_fake/requests").body);
}

nlohmann::json fake_openklant::objects() const { return nlohmann::json::parse(http_call(port_, "GET", "/_fake/objects").body); }

void fake_openklant::fault(nlohmann::json const& f) {
  auto const r = http_call(port_, "POST", "/_fake/faults", {{"Content-Type", "application/json"}}, f.dump());
  if (r.status >= 300) throw std::runtime_error("the fake Open Klant refused a fault: " + r.body);
}

void fake_openklant::clear_faults() { http_call(port_, "DELETE", "/_fake/faults"); }

} // namespace balie::test
