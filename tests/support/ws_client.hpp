#pragma once
// A blocking WebSocket client for tests: connect (with an Origin), send
// text or raw frames, receive with a timeout, and see how the server closed.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace balie::test {

class ws_client {
public:
  /// Connects and upgrades; `status` is the HTTP status when the server refused the upgrade (0: upgraded).
  ws_client(std::uint16_t port, std::string const& origin, std::string const& target = "/api/v1/chat/ws");
  ~ws_client();

  unsigned refused_status() const { return refused_status_; }
  bool send(std::string const& text);
  bool send_binary(std::string const& bytes);
  /// The next text message, or nullopt on timeout or close.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// After the server closed: its close code (0: not closed by the server).
  std::uint16_t close_code() const { return close_code_; }
  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  unsigned refused_status_ = 0;
  std::uint16_t close_code_ = 0;
};

} // namespace balie::test
