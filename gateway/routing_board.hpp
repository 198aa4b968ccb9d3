#pragma once
// This instance's routing rules, kept like the channel switches
// (gateway/switchboard.hpp): the rule set in Redis is the one source of truth
// (queue/routing_store.hpp), seeded from the config file when Redis has none,
// loaded at start, on every `routing.changed` event and whenever the event
// feed restarts. A stored set this instance cannot use (it names an inbox this
// configuration lacks) is refused with a log line and the rules in force stay,
// as an admin's invalid set is refused before it is stored.

#include "queue/event_feed.hpp"
#include "queue/routing_store.hpp"
#include "routing/router.hpp"

#include <mutex>
#include <set>

namespace balie::gateway {

class routing_board : public std::enable_shared_from_this<routing_board> {
public:
  struct in_force {
    routing::routing_config config;
    nlohmann::json document;
    std::shared_ptr<routing::router const> router;
    long long version = 0;  ///< 0 until Redis has answered
    std::string by, at, reason;
  };
  /// A candidate rule set, read and checked: the config, or where and why it is wrong.
  struct checked {
    std::optional<routing::routing_config> config;
    std::string path, reason;
  };
  using listener = std::function<void(std::shared_ptr<routing::router const>)>;

  routing_board(std::shared_ptr<queue::redis_connection>, std::shared_ptr<queue::event_feed>, nlohmann::json seed_document,
                std::set<std::string> inbox_ids);
  /// Before start(): called with the router whenever the rules in force change.
  void on_change(listener);
  void start();
  void stop();
  /// Seeds Redis if it has no rules and loads again: at start, and whenever the Redis connection is ready again.
  void resync();

  in_force current() const;
  checked check(nlohmann::json const& document) const;
  /// Inboxes added or removed by a reload: what the next set is checked against.
  void set_inboxes(std::set<std::string>);
  /// Puts a checked set in force here at once and everywhere on the event; `changed` false if it was in force already.
  void replace(nlohmann::json const& document, std::string by, std::string reason, std::string at,
               std::function<void(boost::system::error_code, bool changed, long long version)>);

private:
  void load();
  void apply(queue::stored_routing const&);

  queue::routing_store store_;
  std::shared_ptr<queue::event_feed> feed_;
  nlohmann::json seed_;
  mutable std::mutex mutex_;
  std::set<std::string> inbox_ids_;
  in_force current_;
  std::vector<listener> listeners_;
  std::uint64_t subscription_ = 0;
};

} // namespace balie::gateway
