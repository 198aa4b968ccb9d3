#pragma once
// Each channel's health as this instance last saw it, and since when. The
// daemon asks every module once a second and records the answer here; the
// channels API, /readyz and /metrics read it. A change is logged where it is
// recorded (gateway/daemon.cpp), so the log tells when a channel went down.

#include "channels/channel_module.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace balie::gateway {

struct channel_status {
  channels::channel_health health;
  std::string since;  ///< RFC 3339: when it last changed
};

class health_board {
public:
  /// Records a channel's health at `now`. Returns the state it had before when it
  /// changed ("" for the first report), nothing when it did not change.
  std::optional<std::string> record(std::string const& channel, channels::channel_health const& h, std::string const& now) {
    std::lock_guard lock(mutex_);
    auto [it, first] = table_.try_emplace(channel, channel_status{h, now});
    if (first) return std::string{};
    if (it->second.health == h) return std::nullopt;
    auto was = it->second.health.state;
    it->second = {h, it->second.health.state == h.state ? it->second.since : now};
    return was;
  }

  std::optional<channel_status> get(std::string const& channel) const {
    std::lock_guard lock(mutex_);
    auto it = table_.find(channel);
    if (it == table_.end()) return std::nullopt;
    return it->second;
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, channel_status> table_;
};

} // namespace balie::gateway
