#pragma once
// A fake Open Klant (tests/support/fake_openklant.py) as a child process on
// a free loopback port: it validates every request against the pinned
// OpenAPI document (tests/fixtures/openklant/) with python3-jsonschema,
// keeps what it is given, answers like the real API, and takes faults
// (fail, fail after committing, hang) through its /_fake/ control endpoints.

#include "tests/support/process.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace balie::test {

class fake_openklant {
public:
  /// `kanalen`: the labels it accepts (comma-separated), as a municipality's list would; empty: any.
  explicit fake_openklant(std::string const& kanalen = {}, int page_size = 100);
  ~fake_openklant();
  /// The API base, up to /klantinteracties/api/v1.
  std::string url() const;
  std::uint16_t port() const { return port_; }
  static constexpr char const* token = "ok-test-token";
  /// Every API request so far: method, path, query, body, status, problems (the validator's findings).
  nlohmann::json requests() const;
  /// What it holds: klantcontacten, betrokkenen, digitaleadressen, onderwerpobjecten, bijlagen.
  nlohmann::json objects() const;
  void fault(nlohmann::json const&);
  /// Removes faults and lets hanging requests go (without an answer).
  void clear_faults();

private:
  child_process process_;
  std::uint16_t port_ = 0;
};

} // namespace balie::test
