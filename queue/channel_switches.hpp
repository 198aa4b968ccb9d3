#pragma once
// Channels switched on and off at run time, kept in Redis so that every
// instance applies the same state: `balie:channels` holds each channel's
// switch, a change writes it, its history entry, an audit line and a
// `channel.changed` event in one script. The script refuses to switch off
// the last resident channel that is on: someone must always be reachable.

#include "queue/redis_connection.hpp"

#include <map>

namespace balie::queue {

struct channel_switch {
  bool enabled = true;
  std::string reason;     ///< why it was last switched (for admins)
  std::string notice_nl;  ///< shown to residents while it is off
  std::string notice_en;
  std::string by;         ///< who switched it: a token name, or "config"
  std::string at;         ///< since when (RFC 3339)
};

struct channel_change {
  std::string channel;
  channel_switch to;
  /// Channels that count for the last-channel guard (resident channels in use, the messenger not);
  /// empty for a channel's part (`sms/<provider>`), which the guard does not cover.
  std::vector<std::string> resident_channels;
};

enum class change_result { changed, unchanged, last_channel };

class channel_switches {
public:
  explicit channel_switches(std::shared_ptr<redis_connection>);

  /// Every channel's switch as stored.
  void load(std::function<void(boost::system::error_code, std::map<std::string, channel_switch>)>);
  /// Stores `initial` for each channel that has no switch yet (the config file seeds; Redis decides).
  void seed(std::map<std::string, channel_switch> const& initial, std::function<void(boost::system::error_code)>);
  void change(channel_change const&, std::function<void(boost::system::error_code, change_result)>);
  /// The history, oldest first: `channel`, `enabled`, `reason`, `by`, `at` per entry.
  void history(std::function<void(boost::system::error_code, std::vector<std::map<std::string, std::string>>)>);

private:
  std::shared_ptr<redis_connection> redis_;
};

std::string to_json(channel_switch const&);
/// A stored switch; a damaged one reads as on with no reason (a channel is never lost to a bad value).
channel_switch channel_switch_from_json(std::string const&);

} // namespace balie::queue
