#pragma once
// The routing rules in Redis, so every instance routes alike: `balie:routing`
// holds the rule set in force (the routing section as JSON) with its version,
// who put it there, when and why. The config file seeds it when Redis has
// none; a replacement writes the set, its history entry, an audit line and a
// `routing.changed` event in one script, so no instance misses a change and
// no change goes unrecorded. Checking a set is the caller's: this stores text.

#include "queue/redis_connection.hpp"

#include <optional>

namespace balie::queue {

struct stored_routing {
  std::string document;  ///< the routing section, JSON
  long long version = 0;
  std::string by;        ///< a token name, or "config"
  std::string at;        ///< RFC 3339
  std::string reason;
};

struct routing_change {
  std::string document;
  std::string by;
  std::string at;
  std::string reason;
};

class routing_store {
public:
  explicit routing_store(std::shared_ptr<redis_connection>);

  /// The set in force; nullopt when Redis has none yet.
  void load(std::function<void(boost::system::error_code, std::optional<stored_routing>)>);
  /// Stores `initial` (version 1) unless Redis has a set already: the config file seeds, Redis decides.
  void seed(routing_change const& initial, std::function<void(boost::system::error_code)>);
  /// Puts `change` in force; `changed` false when it equals the set in force (nothing recorded).
  void replace(routing_change const&, std::function<void(boost::system::error_code, bool changed, long long version)>);

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
