#pragma once
// The built-in channels, listed explicitly in one function (no static
// self-registration): adding a channel is a folder under channels/ and one
// entry here. The registry is the one place that knows each channel's
// configuration section; everything else sees channel_module.

#include "channels/channel_module.hpp"
#include "gateway/config.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace balie::gateway {

struct channel_slot {
  std::shared_ptr<channels::channel_module> module;
  /// The channel's `enabled` in a configuration: the switch's seed, and a SIGHUP's change.
  std::function<bool(config const&)> enabled_in;
  /// Hands a reloaded configuration's section to the running channel, and puts
  /// back into `fresh` what the channel keeps until a restart.
  std::function<void(config& fresh)> reconfigure;
};

/// The channels this configuration runs, in a fixed order (phone, email, webchat, sms, messenger).
std::vector<channel_slot> register_builtin_channels(config const&, channels::channel_services&);

/// Who checks a staff reply, per channel name: each running module, and the SMS
/// check (staff answer callers by SMS before the SMS channel runs here).
channels::reply_checks builtin_reply_checks(std::vector<channel_slot> const&, config const&, channels::channel_services&);

} // namespace balie::gateway
