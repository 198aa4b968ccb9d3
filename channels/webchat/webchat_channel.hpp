#pragma once
// The web chat as a channel module: the chat service (sessions, the
// conversation log, the reply sender), its HTTP routes and its WebSocket.

#include "channels/channel_module.hpp"
#include "channels/webchat/settings.hpp"

#include <memory>

namespace balie::queue {
class chat_store;
}

namespace balie::webchat {

class chat_service;
class chat_routes;

class webchat_channel : public channels::channel_module {
public:
  webchat_channel(webchat_config, channels::channel_services&);
  ~webchat_channel() override;

  std::string_view name() const override { return "webchat"; }
  std::vector<server::http_route> routes() override;
  bool upgrade(std::string_view path, std::shared_ptr<server::upgrade_request>&) override;
  void start() override;
  void stop() override;
  void set_enabled(bool on, channels::channel_notice const&) override;
  /// Applies a reloaded section: limits, hours, origins and texts take effect at once.
  /// Returns the section as the channel now runs it.
  webchat_config reconfigure(webchat_config const&);

private:
  std::unique_ptr<queue::chat_store> store_;
  std::shared_ptr<chat_service> chat_;
  std::unique_ptr<chat_routes> routes_;
  server::metrics& stats_;
};

} // namespace balie::webchat
