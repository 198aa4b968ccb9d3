#pragma once
// Where balied's Redis is and how it is reached: plain settings, without
// Asio, so that the configuration compiles without the connection.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace balie::queue {

struct redis_options {
  std::string unix_socket;  ///< preferred: no network exposure (hiredis 0.14 has no TLS)
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::optional<std::string> password;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  /// Refuse to be ready unless appendonly=yes, appendfsync=always, maxmemory-policy=noeviction.
  bool require_durability = true;
};

} // namespace balie::queue
