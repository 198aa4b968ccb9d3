#pragma once
// A token bucket for message rates: `rate` tokens per second up to `burst`.
// Time is passed in, so tests need no clock.

#include <algorithm>
#include <chrono>

namespace balie::server {

class token_bucket {
public:
  using time_point = std::chrono::steady_clock::time_point;
  token_bucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  /// Takes one token if there is one.
  bool take(time_point now) {
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  /// Whether a token is there, without taking it.
  bool has_token(time_point now) {
    refill(now);
    return tokens_ >= 1.0;
  }
  /// Seconds until the next token (rounded up, at least 1).
  int wait_seconds(time_point now) {
    refill(now);
    return std::max(1, static_cast<int>((1.0 - tokens_) / rate_ + 0.999));
  }

private:
  void refill(time_point now) {
    if (last_ != time_point{}) tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  double rate_, burst_, tokens_;
  time_point last_{};
};

} // namespace balie::server
