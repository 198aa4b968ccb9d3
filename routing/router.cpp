#include "routing/router.hpp"

namespace balie::routing {

channel_rule::channel_rule(channel c, std::string inbox) : channel_(c), inbox_(std::move(inbox)) {}

std::optional<routing_info> channel_rule::match(case_message const& m) const {
  if (m.channel != channel_) return std::nullopt;
  return routing_info{inbox_, priority::normal, std::nullopt, "channel:" + std::string(to_string(channel_))};
}

router::router(routing_config const& config) : default_inbox_(config.default_inbox) {
  for (auto const& [c, inbox] : config.by_channel) rules_.push_back(std::make_unique<channel_rule>(c, inbox));
}

routing_info router::route(case_message const& m) const {
  for (auto const& r : rules_)
    if (auto decision = r->match(m)) return *decision;
  return routing_info{default_inbox_, priority::normal, std::nullopt, "default"};
}

} // namespace balie::routing
