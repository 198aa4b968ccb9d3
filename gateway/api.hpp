#pragma once
// The HTTP API: a route table, authentication, and the handlers. Handlers
// never block: anything that needs Redis answers through the responder when
// the reply arrives.

#include "channels/ids.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/reply_check.hpp"
#include "channels/time_format.hpp"
#include "gateway/config.hpp"
#include "gateway/route.hpp"
#include "gateway/tokens.hpp"
#include "queue/case_store.hpp"
#include "queue/case_workflow.hpp"
#include "server/failed_logins.hpp"
#include "server/http_route.hpp"
#include "server/metrics.hpp"

#include <functional>
#include <mutex>

namespace balie::queue {
class staff_assignment;
class case_search;
class saved_replies;
class case_retention;
struct found_case;
}

namespace balie::gateway {


using namespace server;

class live_updates;
class switchboard;
class routing_board;
class health_board;

/// What the API works with, owned by the daemon.
struct api_services {
  inbound_sink& sink;
  queue::case_store& store;
  queue::case_workflow& workflow;
  std::shared_ptr<live_updates> live;  ///< null: no live updates (tests of other parts)
  metrics& stats;
  clock_fn clock;
  id_source& ids;
  /// Runs slow work (file reads, large JSON) elsewhere than the calling
  /// thread, which may be a Redis connection's strand; empty: inline (tests).
  offload_fn offload;
  std::shared_ptr<switchboard> switches;
  std::shared_ptr<routing_board> routing;  ///< the rules in force; null: routing as configured (tests of other parts)
  failed_logins& logins;
  /// The channels' routes (resident and provider endpoints), served alongside the API's own.
  std::vector<http_route> channel_routes;
  std::shared_ptr<health_board const> health;  ///< each channel's health, recorded by the daemon
  channels::reply_checks replies;  ///< who checks a staff reply, per channel (gateway/channel_registry.cpp)
  std::shared_ptr<queue::staff_assignment> assignment;  ///< who is available for new cases; null: nobody asks (tests of other parts)
  std::shared_ptr<queue::case_search> search;           ///< the case index; null: no search (tests of other parts)
  std::shared_ptr<queue::saved_replies> saved_replies;  ///< null: no saved replies (tests of other parts)
  std::shared_ptr<queue::case_retention> retention;     ///< null: no retention endpoints (tests of other parts)
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
  /// The reply checks again, built from a reloaded configuration.
  void set_reply_checks(channels::reply_checks);
  void set_tokens(std::shared_ptr<token_store const>);

  /// Every route served (CORS preflights aside), for the OpenAPI completeness test.
  std::vector<route> routes() const;

private:
  using params = route_params;
  /// One route: dispatch, admission and routes() read the same table.
  struct route_entry {
    route r;
    access who;
    std::vector<std::string> parts;  ///< the pattern split once, not per request
    std::function<void(api&, http_request const&, std::optional<principal> const&, params const&, http_responder)> run;
  };
  std::vector<route_entry> build_table(std::vector<http_route> channel_routes);

  std::optional<principal> authorise(http_request const&, access, http_responder&);
  std::shared_ptr<config const> current_config() const;

  void healthz(http_request const&, http_responder);
  void readyz(http_request const&, http_responder);
  void metrics_text(http_request const&, http_responder);
  void openapi(http_request const&, http_responder);
  void list_inboxes(http_request const&, principal const&, http_responder);
  void list_cases(http_request const&, principal const&, std::string const& inbox, http_responder);
  void get_case(http_request const&, principal const&, std::string const& case_id, http_responder);
  void get_attachment(http_request const&, principal const&, std::string const& case_id, std::string const& sha256, http_responder);
  void who_am_i(http_request const&, principal const&, http_responder);
  void set_availability(http_request const&, principal const&, http_responder);
  void events(http_request const&, principal const&, http_responder);
  /// Staff search: a reference, an address (POST only) or words, in the caller's inboxes (search_api.cpp).
  void search(http_request const&, principal const&, http_responder);
  /// Residents' rights: every case an address took part in, in every inbox, for the privacy role (residents_api.cpp).
  void residents_search(http_request const&, principal const&, http_responder);
  /// Residents' rights: one archive of every case an address took part in, and erasure with a report of what is kept.
  void residents_export(http_request const&, principal const&, http_responder);
  void residents_erase(http_request const&, principal const&, http_responder);
  /// Reads {"address", and `extra_fields`} and finds the address's cases in every inbox (400 answered here).
  void resident_cases(http_request const&, std::vector<std::string> const& extra_fields, http_responder,
                      std::function<void(nlohmann::json body, std::vector<queue::found_case>, bool cut, http_responder)> then);
  /// Writes a residents' rights audit line (who, what, which cases; never the address), then `then`.
  void audit_resident_request(principal const&, std::string const& action, std::vector<std::pair<std::string, std::string>> fields,
                              http_responder, std::function<void(http_responder)> then);
  // Records: a case's retention class and legal hold, and the destruction list (retention_api.cpp).
  void get_retention(http_request const&, principal const&, std::string const& case_id, http_responder);
  void put_retention(http_request const&, principal const&, std::string const& case_id, http_responder);
  void destruction_list(http_request const&, principal const&, http_responder);

  // Saved replies: admins manage them, staff get a case's filled in (replies_api.cpp).
  void list_saved_replies(http_request const&, principal const&, http_responder);
  void put_saved_reply(http_request const&, principal const&, std::string const& id, http_responder);
  void delete_saved_reply(http_request const&, principal const&, std::string const& id, http_responder);
  void case_saved_replies(http_request const&, principal const&, std::string const& case_id, http_responder);
  /// The jargon list the plain-language hints use (read from the web root at each configuration).
  std::shared_ptr<std::map<std::string, std::string> const> current_jargon() const;

  // Admins: channels on and off (admin_api.cpp).
  void list_channels(http_request const&, principal const&, http_responder);
  void switch_channel(http_request const&, principal const&, std::string const& channel, http_responder);
  void channel_history(http_request const&, principal const&, std::string const& channel, http_responder);
  void routing_test(http_request const&, principal const&, http_responder);
  void get_routing(http_request const&, principal const&, http_responder);
  void put_routing(http_request const&, principal const&, http_responder);
  void check_routing(http_request const&, principal const&, http_responder);

  // Staff actions on a case (case_actions.cpp).
  enum class action { claim, release, transfer, note, close, reopen };
  void act(http_request const&, principal const&, std::string const& case_id, action, http_responder);
  void post_reply(http_request const&, principal const&, std::string const& case_id, http_responder);
  /// What a reply text costs as SMS, for the composer while staff type.
  void sms_size(http_request const&, principal const&, http_responder);
  /// Runs `then` with the case's inbox once `me` may act on it (403/404/503 answered otherwise).
  /// `withheld`: the case is confidential and `me` may not read it (staff_views.hpp, withheld_from).
  void with_case_access(principal const&, std::string const& case_id, http_responder&,
                        std::function<void(std::string inbox, bool withheld, http_responder)> then);
  void answer_action(queue::action_result const&, principal const&, std::string const& case_id, http_responder);

  void audit_then(principal const&, std::string const& action, std::string const& case_id, http_responder,
                  std::function<void(http_responder)> then);

  /// A failed token check: counts against the address, answers 401.
  void unauthorized(http_request const& req, http_responder& respond, std::string_view detail) { logins_.unauthorized(req, respond, detail); }

  mutable std::mutex mutex_;
  std::shared_ptr<config const> config_;
  std::shared_ptr<token_store const> tokens_;
  inbound_sink& sink_;
  queue::case_store& store_;
  queue::case_workflow& workflow_;
  std::shared_ptr<live_updates> live_;
  metrics& metrics_;
  clock_fn clock_;
  id_source& ids_;
  offload_fn offload_;
  std::shared_ptr<switchboard> switches_;
  std::shared_ptr<routing_board> routing_;
  std::shared_ptr<queue::staff_assignment> assignment_;
  std::shared_ptr<queue::case_search> search_;
  std::shared_ptr<queue::saved_replies> saved_replies_;
  std::shared_ptr<queue::case_retention> retention_;
  std::shared_ptr<std::map<std::string, std::string> const> jargon_;  // under mutex_
  failed_logins& logins_;
  std::shared_ptr<health_board const> health_;
  channels::reply_checks replies_;  // under mutex_
  std::vector<route_entry> table_;  ///< the API's routes and the channels', fixed at construction
  void off_strand(std::function<void()> work) { offload_ ? offload_(std::move(work)) : work(); }
};

/// A case id as Balie mints them (a ULID).
bool is_case_id(std::string_view);

/// The OpenAPI document compiled in from gateway/openapi.json.
std::string_view openapi_document();

} // namespace balie::gateway
