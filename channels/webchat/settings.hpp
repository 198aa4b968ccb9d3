#pragma once
// The web chat's section of the configuration (/channels/webchat), read and
// validated here so that the channel owns its settings.

#include "channels/config_reader.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace balie::webchat {

/// One day's chat opening hours, local time ("09:00"-"17:00"), minutes since midnight.
struct opening_window {
  int from_minute = 0;
  int to_minute = 0;
  bool operator==(opening_window const&) const = default;
};

struct webchat_config {
  bool enabled = true;
  /// Origins allowed to open sessions and sockets; "loopback" allows any
  /// http://127.0.0.1:<port> and http://localhost:<port> (development only).
  std::vector<std::string> allowed_origins;
  std::chrono::seconds session_ttl{2 * 3600};  ///< a session not used for this long ends
  std::chrono::seconds conversation_retention{30 * 24 * 3600};  ///< a closed case's conversation is kept this long
  std::size_t max_connections = 20000;  ///< chat sockets and streams of this instance
  std::size_t max_connections_per_address = 20;
  double messages_per_second = 1.0;  ///< per connection, sustained
  double message_burst = 10.0;       ///< per connection, at once
  double address_messages_per_second = 5.0;  ///< per address (a whole office behind one NAT), sustained
  double address_message_burst = 50.0;
  /// New sessions and left messages per address per window: room for a library PC or a
  /// carrier-grade NAT shared by many residents, not for a script filling Redis.
  std::size_t sessions_per_address = 30;
  std::size_t leave_messages_per_address = 10;
  std::chrono::seconds address_window{600};
  std::size_t max_pending_frames = 64;  ///< frames queued for one socket at most
  std::chrono::seconds slow_reader{30};  ///< a socket that takes no frame for this long while more waits: 1013
  std::chrono::seconds ping_interval{15};  ///< fallback event streams: a keep-alive comment, and the session checked
  /// Opening hours per weekday (0 = Sunday), in the `timezone`; empty: always open.
  std::vector<std::vector<opening_window>> hours;
  bool acknowledge = true;  ///< a new case's first message gets the acknowledgement in the chat
  std::string timezone = "Europe/Amsterdam";
  std::string closed_notice;  ///< shown while closed; empty: the widget's own text
  bool operator==(webchat_config const&) const = default;
};

/// Reads /channels/webchat; throws channels::config_error naming the key.
webchat_config read_webchat_config(channels::object_reader&);

} // namespace balie::webchat
