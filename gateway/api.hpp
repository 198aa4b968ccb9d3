#pragma once
// The HTTP API: a route table, authentication, and the handlers. Handlers
// never block: anything that needs Redis answers through the responder when
// the reply arrives.

#include "channels/ids.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/time_format.hpp"
#include "gateway/address_limits.hpp"
#include "gateway/config.hpp"
#include "gateway/http_server.hpp"
#include "gateway/metrics.hpp"
#include "gateway/tokens.hpp"
#include "queue/case_store.hpp"
#include "queue/case_workflow.hpp"
#include "queue/chat_store.hpp"

#include <functional>
#include <mutex>

namespace balie::gateway {

struct route {
  std::string method;
  std::string pattern;  ///< e.g. /api/v1/cases/{id}
};

class live_updates;
class chat_service;
class switchboard;

/// What the API works with, owned by the daemon.
struct api_services {
  inbound_sink& sink;
  queue::case_store& store;
  queue::case_workflow& workflow;
  std::shared_ptr<live_updates> live;  ///< null: no live updates (tests of other parts)
  std::shared_ptr<chat_service> chat;  ///< null: no web chat
  metrics& stats;
  clock_fn clock;
  id_source& ids;
  /// Runs slow work (file reads, large JSON) elsewhere than the calling
  /// thread, which may be a Redis connection's strand; empty: inline (tests).
  std::function<void(std::function<void()>)> offload;
  std::shared_ptr<switchboard> switches;  ///< null: the config file's switches (tests of other parts)
};

class api {
public:
  api(std::shared_ptr<config const>, std::shared_ptr<token_store const>, api_services);

  void handle(http_request, http_responder);
  /// From the head alone: the route's body limit, and a refusal (401, 403,
  /// 429) for a route that needs a token the request does not carry.
  http_admission admit(http_request const& head);
  http_response transport_error(unsigned status, std::string type, std::string detail) const;

  void set_config(std::shared_ptr<config const>);
  void set_tokens(std::shared_ptr<token_store const>);

  /// Every route served, for the OpenAPI completeness test.
  static std::vector<route> routes();

private:
  using params = std::vector<std::string>;
  enum class access { anyone, staff, admin, system };
  struct route_entry;
  static std::vector<route_entry> const& table();

  std::optional<principal> authorise(http_request const&, access, http_responder&);
  std::shared_ptr<config const> current_config() const;

  void healthz(http_request const&, http_responder);
  void readyz(http_request const&, http_responder);
  void metrics_text(http_request const&, http_responder);
  void openapi(http_request const&, http_responder);
  void post_transcript(http_request const&, principal const&, http_responder);
  void list_inboxes(http_request const&, principal const&, http_responder);
  void list_cases(http_request const&, principal const&, std::string const& inbox, http_responder);
  void get_case(http_request const&, principal const&, std::string const& case_id, http_responder);
  void get_attachment(http_request const&, principal const&, std::string const& case_id, std::string const& sha256, http_responder);
  void who_am_i(http_request const&, principal const&, http_responder);
  void events(http_request const&, principal const&, http_responder);

  // Admins: channels on and off (admin_api.cpp).
  void list_channels(http_request const&, principal const&, http_responder);
  void switch_channel(http_request const&, principal const&, std::string const& channel, http_responder);
  void channel_history(http_request const&, principal const&, std::string const& channel, http_responder);

  // Staff actions on a case (case_actions.cpp).
  enum class action { claim, release, transfer, note, close, reopen };
  void act(http_request const&, principal const&, std::string const& case_id, action, http_responder);
  void post_reply(http_request const&, principal const&, std::string const& case_id, http_responder);
  /// Runs `then` with the case's inbox once `me` may act on it (403/404/503 answered otherwise).
  void with_case_access(principal const&, std::string const& case_id, http_responder&,
                        std::function<void(std::string inbox, http_responder)> then);
  void answer_action(queue::action_result const&, std::string const& case_id, http_responder);

  // The web chat over HTTP (chat_api.cpp).
  bool chat_origin_ok(http_request const&, http_responder&, std::vector<std::pair<std::string, std::string>>& cors) const;
  void chat_call(http_request const&, http_responder, std::function<void(http_responder)> then);
  void with_chat_session(http_request const&, http_responder,
                         std::function<void(queue::chat_session, std::string token, http_responder)> then);
  void chat_status_get(http_request const&, http_responder);
  void chat_session_post(http_request const&, http_responder);
  void chat_session_extend(http_request const&, http_responder);
  void chat_history_get(http_request const&, http_responder);
  void chat_message_post(http_request const&, http_responder);
  void chat_events_get(http_request const&, http_responder);
  void chat_leave_message_post(http_request const&, http_responder);
  void chat_ws_plain(http_request const&, http_responder);
  void chat_preflight(http_request const&, http_responder);
  void audit_then(principal const&, std::string const& action, std::string const& case_id, http_responder,
                  std::function<void(http_responder)> then);

  /// 429 with Retry-After when `address` used up its share of `limiter`; true if answered.
  bool over_limit(address_limiter&, http_request const&, http_responder&);
  std::shared_ptr<address_limiter> limiter(std::shared_ptr<address_limiter> api::*) const;
  /// 429 if this address failed authentication too often lately; true if answered.
  bool guessing(http_request const&, http_responder&);
  /// A failed token check: counts against the address, answers 401.
  void unauthorized(http_request const&, http_responder&, std::string_view detail, std::string_view type = "unauthorized");

  mutable std::mutex mutex_;
  std::shared_ptr<config const> config_;
  std::shared_ptr<address_limiter> session_limit_, leave_message_limit_;  ///< per webchat config; replaced on reload
  /// Failed token checks per address: guessing tokens gets 429 after a few dozen a minute.
  address_limiter auth_failures_{30, std::chrono::seconds(60)};
  std::shared_ptr<token_store const> tokens_;
  inbound_sink& sink_;
  queue::case_store& store_;
  queue::case_workflow& workflow_;
  std::shared_ptr<live_updates> live_;
  std::shared_ptr<chat_service> chat_;
  metrics& metrics_;
  clock_fn clock_;
  id_source& ids_;
  std::function<void(std::function<void()>)> offload_;
  std::shared_ptr<switchboard> switches_;
  /// The channel's switch (the config file's without a switchboard).
  bool channel_on(std::string const& channel) const;
  void off_strand(std::function<void()> work) { offload_ ? offload_(std::move(work)) : work(); }
};

/// The token of an `Authorization: Bearer <token>` header (staff, system or a chat session).
std::optional<std::string> bearer_token(http_request const&);

/// A case id as Balie mints them (a ULID).
bool is_case_id(std::string_view);

/// The OpenAPI document compiled in from gateway/openapi.json.
std::string_view openapi_document();

} // namespace balie::gateway
