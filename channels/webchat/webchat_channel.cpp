#include "channels/webchat/webchat_channel.hpp"

#include "channels/webchat/chat_routes.hpp"
#include "channels/webchat/chat_service.hpp"
#include "channels/webchat/chat_socket.hpp"
#include "queue/chat_store.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

#include <boost/asio/io_context.hpp>

namespace balie::webchat {

webchat_channel::webchat_channel(webchat_config settings, channels::channel_services& s)
    : store_(std::make_unique<queue::chat_store>(s.redis)), stats_(s.stats) {
  // The reply sender reads the outbox with a blocking read: a connection of its own.
  chat_ = std::make_shared<chat_service>(s.ioc.get_executor(), std::make_shared<webchat_config const>(std::move(settings)), s.outbox,
                                         s.sink, *store_, s.workflow, s.own_connection("webchat"), s.feed, s.clock, s.ids, &s.stats);
  if (s.acknowledgement) chat_->set_acknowledgements(s.acknowledgement, s.automatic);
  routes_ = std::make_unique<chat_routes>(chat_, s.sink, s.logins, s.offload, s.clock, s.ids, [&s] {
    return s.other_ways ? s.other_ways() : std::vector<channels::contact_point>{};
  });
}

webchat_channel::~webchat_channel() = default;

std::vector<server::http_route> webchat_channel::routes() { return routes_->routes(); }

bool webchat_channel::upgrade(std::string_view path, std::shared_ptr<server::upgrade_request>& up) {
  if (path != "/api/v1/chat/ws") return false;
  serve_chat_socket(std::move(up), chat_, [stats = &stats_](std::string_view what) {
    stats->handler_exception("websocket");
    server::log::error("internal.exception", {{"where", "websocket"}, {"what", what}});
  });
  return true;
}

void webchat_channel::start() { chat_->start(); }
void webchat_channel::stop() { chat_->stop(); }
void webchat_channel::set_enabled(bool on, channels::channel_notice const& notice) { chat_->set_enabled(on, notice.nl, notice.en); }

webchat_config webchat_channel::reconfigure(webchat_config const& fresh) {
  if (fresh == *chat_->current_config()) return fresh;
  routes_->set_config(fresh);
  chat_->set_config(std::make_shared<webchat_config const>(fresh));
  server::log::info("reload.webchat");
  return fresh;
}

} // namespace balie::webchat
