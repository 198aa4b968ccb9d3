#pragma once
// A stand-in for a hosted SMS provider's API (Twilio, CM) or Kannel's
// sendsms, on a free loopback port: it records every request and answers
// with what the test set, or accepts the connection and never answers (a
// provider that hangs).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace balie::test {

struct recorded_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
};

class fake_provider {
public:
  fake_provider();
  ~fake_provider();
  std::uint16_t port() const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  /// The answer to every request from now on.
  void answer(unsigned status, std::string body);
  /// From now on: take each request and never answer it.
  void hang(bool);
  std::vector<recorded_request> requests() const;
  /// Waits until `count` requests have arrived.
  bool wait_for(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds(30)) const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// The value of `name` in a query string or form body, decoded.
std::string form_value(std::string const& form, std::string const& name);

} // namespace balie::test
