#pragma once
// A provider's circuit: after `failures` failed calls in a row it opens and
// no call is made for `cooldown`; then one call is let through, and its
// outcome closes the circuit or opens it again. Replies wait in the outbox
// meanwhile instead of each waiting for a timeout of its own. Time is passed
// in; used from one strand. Every sender has one per provider or platform.

#include <chrono>

namespace balie::channels {

class circuit_breaker {
public:
  using time_point = std::chrono::steady_clock::time_point;
  circuit_breaker(int failures, std::chrono::seconds cooldown) : limit_(failures), cooldown_(cooldown) {}

  /// Whether a call may be made now.
  bool allows(time_point now) const { return failed_ < limit_ || now >= open_until_; }
  void succeeded() { failed_ = 0; }
  void failed(time_point now) {
    if (++failed_ >= limit_) open_until_ = now + cooldown_;
  }
  bool open(time_point now) const { return !allows(now); }

private:
  int limit_;
  std::chrono::seconds cooldown_;
  int failed_ = 0;
  time_point open_until_{};
};

} // namespace balie::channels
