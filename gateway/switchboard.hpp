#pragma once
// This instance's view of the channel switches (queue/channel_switches.hpp):
// seeded from the config file where Redis has no switch yet, loaded at start,
// and loaded again on every `channel.changed` event and whenever the event
// feed restarts, so a change made through any instance applies here too.
// Parts that act on a switch register a listener; the phone intake asks.

#include "queue/channel_switches.hpp"
#include "queue/event_feed.hpp"

#include <mutex>

namespace balie::gateway {

class switchboard : public std::enable_shared_from_this<switchboard> {
public:
  using listener = std::function<void(std::string const& channel, queue::channel_switch const&)>;

  /// `seeds`: each channel this instance runs, in a fixed order, and its `enabled` in the config file;
  /// a channel's parts as `<channel>/<part>` after it.
  switchboard(std::shared_ptr<queue::redis_connection>, std::shared_ptr<queue::event_feed>, std::vector<std::pair<std::string, bool>> seeds);
  /// Before start(): called for each channel's state at start and whenever its switch or notice changes.
  void on_change(listener);
  void start();
  void stop();
  /// Seeds what Redis lacks and loads again: at start, and whenever the Redis connection is ready again
  /// (a seed sent before the connection was up has failed).
  void resync();

  /// The channels this configuration uses, in a fixed order.
  std::vector<std::string> const& channels() const { return channels_; }
  bool enabled(std::string const& channel) const;
  std::optional<queue::channel_switch> state(std::string const& channel) const;

  /// An admin's (or the config file's) change; applied here at once, elsewhere on the event.
  void change(std::string const& channel, queue::channel_switch, std::function<void(boost::system::error_code, queue::change_result)>);
  void history(std::function<void(boost::system::error_code, std::vector<std::map<std::string, std::string>>)>);

private:
  void load();
  void apply(std::map<std::string, queue::channel_switch>);

  queue::channel_switches store_;
  std::shared_ptr<queue::event_feed> feed_;
  std::vector<std::string> channels_;
  std::map<std::string, queue::channel_switch> seed_;
  mutable std::mutex mutex_;
  std::map<std::string, queue::channel_switch> current_;
  std::vector<listener> listeners_;
  std::uint64_t subscription_ = 0;
};

} // namespace balie::gateway
