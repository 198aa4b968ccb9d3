#pragma once
// A stand-in for a hosted provider's API (Twilio, CM, Kannel's sendsms, the
// WhatsApp Cloud API, a Matrix homeserver), on a free loopback port: it
// records every request and answers with what the test set — one answer for
// all, or one per request (a homeserver answers joins and sends apart) — or
// accepts the connection and never answers (a provider that hangs).

#include <chrono>
#include <cstdint>
#include <functional>
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

/// One answer, with its headers (Retry-After).
struct fake_answer {
  fake_answer(unsigned s = 200, std::string b = {}, std::vector<std::pair<std::string, std::string>> h = {})
      : status(s), body(std::move(b)), headers(std::move(h)) {}
  unsigned status;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class fake_provider {
public:
  fake_provider();
  ~fake_provider();
  std::uint16_t port() const;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  /// The answer to every request from now on.
  void answer(unsigned status, std::string body);
  /// From now on each request is answered by `f` (on the fake's thread).
  void respond_with(std::function<fake_answer(recorded_request const&)> f);
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
