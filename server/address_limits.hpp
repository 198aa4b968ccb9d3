#pragma once
// Per-address limits for anonymous resident endpoints (new chat sessions,
// left messages): at most `count` requests per `window` from one address,
// refilled evenly, so a script cannot fill Redis with sessions while a
// library PC or a carrier-grade NAT shared by many residents still fits.
// Time is passed in; the table forgets addresses idle for a whole window,
// so its size stays bounded by the addresses active within one window.

#include "server/http_message.hpp"
#include "server/token_bucket.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace balie::server {

class address_limiter {
public:
  using time_point = std::chrono::steady_clock::time_point;
  address_limiter(std::size_t count, std::chrono::seconds window);

  /// Takes one request's share; false: over the limit, answer 429.
  bool allow(std::string const& address, time_point now);
  /// Whether `address` has used up its share, without taking any.
  bool exhausted(std::string const& address, time_point now);
  /// Seconds until `address` may send again (Retry-After), at least 1.
  int retry_after(std::string const& address, time_point now);
  std::size_t tracked() const;

private:
  struct entry {
    token_bucket bucket;
    time_point last_used;
  };
  void forget_idle(time_point now);  // mutex held

  double rate_, burst_;
  std::chrono::seconds window_;
  mutable std::mutex mutex_;
  std::map<std::string, entry, std::less<>> entries_;
  time_point last_sweep_{};
};

/// 429 with Retry-After when the request's address used up its share of `limit`; true if answered.
bool over_limit(address_limiter& limit, http_request const&, http_responder&);

} // namespace balie::server
