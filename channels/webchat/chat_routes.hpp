#pragma once
// The web chat's HTTP endpoints (resident side): its state, new sessions,
// the history, the fallback transport (server-sent events and POST) and
// "leave a message". Offered to the API as routes; no staff token involved.

#include "channels/contact_point.hpp"
#include "channels/ids.hpp"
#include "channels/time_format.hpp"
#include "channels/webchat/settings.hpp"
#include "queue/chat_store.hpp"
#include "server/http_route.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace balie {
class inbound_sink;
}
namespace balie::server {
class address_limiter;
class failed_logins;
}

namespace balie::webchat {

class chat_service;

class chat_routes {
public:
  /// `other_ways`: the other ways residents can write now, for the status the widget shows them with.
  chat_routes(std::shared_ptr<chat_service>, inbound_sink&, server::failed_logins&, server::offload_fn, clock_fn, id_source&,
              std::function<std::vector<channels::contact_point>()> other_ways);

  /// Every chat endpoint, and a CORS preflight (OPTIONS) for each.
  std::vector<server::http_route> routes();
  /// New per-address limits; unchanged limits keep what each address has used.
  void set_config(webchat_config const&);

private:
  using http_request = server::http_request;
  using http_responder = server::http_responder;

  bool origin_ok(http_request const&, http_responder&, std::vector<std::pair<std::string, std::string>>& cors) const;
  void call(http_request const&, http_responder, std::function<void(http_responder)> then);
  void with_session(http_request const&, http_responder, std::function<void(queue::chat_session, std::string token, http_responder)> then);
  void status_get(http_request const&, http_responder);
  void session_post(http_request const&, http_responder);
  void session_extend(http_request const&, http_responder);
  void history_get(http_request const&, http_responder);
  void message_post(http_request const&, http_responder);
  void events_get(http_request const&, http_responder);
  void leave_message_post(http_request const&, http_responder);
  void ws_plain(http_request const&, http_responder);
  void preflight(http_request const&, http_responder);
  std::shared_ptr<server::address_limiter> limiter(std::shared_ptr<server::address_limiter> chat_routes::*) const;

  std::shared_ptr<chat_service> chat_;
  std::function<std::vector<channels::contact_point>()> other_ways_;
  inbound_sink& sink_;
  server::failed_logins& logins_;
  server::offload_fn offload_;
  clock_fn clock_;
  id_source& ids_;
  mutable std::mutex mutex_;
  webchat_config limits_;
  std::shared_ptr<server::address_limiter> session_limit_, leave_message_limit_;  ///< replaced on reload
};

} // namespace balie::webchat
