#pragma once
// Prometheus metrics, rendered in the text exposition format at /metrics:
// messages received, duplicated and rejected per channel and provider, the
// enqueue latency histogram, Redis reconnects, and exceptions the safety net
// caught (each one a defect to fix).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace balie::server {

class metrics {
public:
  void received(std::string_view channel, std::string_view provider);
  void duplicated(std::string_view channel, std::string_view provider);
  void rejected(std::string_view channel, std::string_view provider, std::string_view reason);
  void enqueue_failed(std::string_view channel, std::string_view provider);
  void enqueue_latency(std::chrono::microseconds);
  void redis_reconnects_from(std::function<std::uint64_t()>);
  /// An exception escaped a handler and was caught by the safety net (`where`: http, websocket, io).
  void handler_exception(std::string_view where);
  /// A polled source's state (up, degraded, down), e.g. "imap:gemeente".
  void set_health(std::string const& source, std::string const& state);
  std::map<std::string, std::string> health() const;
  /// A channel's switch as this instance applies it.
  void set_channel_enabled(std::string const& channel, bool enabled);
  /// Cases of an inbox past their answer time that no person has acted on (the watchdog's count).
  void set_overdue(std::string const& inbox, long long cases);
  /// A channel's health: up (up or degraded) or not (down, bad-credentials).
  void set_channel_up(std::string const& channel, bool up);
  /// A reply the channel's sender delivered.
  void sent(std::string_view channel);
  /// This instance's counts since start: messages taken in, replies delivered.
  std::uint64_t received_total(std::string_view channel) const;
  std::uint64_t sent_total(std::string_view channel) const;
  std::string render() const;

private:
  using key = std::tuple<std::string, std::string, std::string>;
  mutable std::mutex mutex_;
  std::map<key, std::uint64_t> received_, duplicated_, rejected_, failed_;
  /// Upper bounds in seconds: fine below 10 ms where `appendfsync always` lives.
  static constexpr double bounds_[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  std::uint64_t buckets_[std::size(bounds_)] = {};
  std::uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
  std::function<std::uint64_t()> reconnects_;
  std::map<std::string, std::string> health_;
  std::map<std::string, bool> channel_enabled_, channel_up_;
  std::map<std::string, long long> overdue_;
  std::map<std::string, std::uint64_t, std::less<>> sent_;
  std::map<std::string, std::uint64_t, std::less<>> exceptions_;
};

} // namespace balie::server
