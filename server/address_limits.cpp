#include "server/address_limits.hpp"

#include "server/problem.hpp"

namespace balie::server {

address_limiter::address_limiter(std::size_t count, std::chrono::seconds window)
    : rate_(static_cast<double>(count) / static_cast<double>(window.count())), burst_(static_cast<double>(count)), window_(window) {}

bool address_limiter::allow(std::string const& address, time_point now) {
  std::lock_guard lock(mutex_);
  forget_idle(now);
  auto it = entries_.find(address);
  if (it == entries_.end()) it = entries_.emplace(address, entry{token_bucket(rate_, burst_), now}).first;
  it->second.last_used = now;
  return it->second.bucket.take(now);
}

bool address_limiter::exhausted(std::string const& address, time_point now) {
  std::lock_guard lock(mutex_);
  auto const it = entries_.find(address);
  return it != entries_.end() && !it->second.bucket.has_token(now);
}

int address_limiter::retry_after(std::string const& address, time_point now) {
  std::lock_guard lock(mutex_);
  auto const it = entries_.find(address);
  return it == entries_.end() ? 1 : it->second.bucket.wait_seconds(now);
}

std::size_t address_limiter::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void address_limiter::forget_idle(time_point now) {
  // An address idle for a whole window has its full share again: nothing to remember.
  if (now - last_sweep_ < window_) return;
  last_sweep_ = now;
  std::erase_if(entries_, [&](auto const& e) { return now - e.second.last_used >= window_; });
}

bool over_limit(address_limiter& limit, http_request const& req, http_responder& respond) {
  auto const now = std::chrono::steady_clock::now();
  if (limit.allow(req.remote_address, now)) return false;
  auto r = problem(429, "too-many-requests", "Too many requests from your address. Wait a few minutes and try again.");
  r.headers.emplace_back("Retry-After", std::to_string(limit.retry_after(req.remote_address, now)));
  respond(std::move(r));
  return true;
}

} // namespace balie::server
