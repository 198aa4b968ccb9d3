#include "routing/router.hpp"


#include <algorithm>

namespace balie::routing {

channel_rule::channel_rule(channel c, std::string inbox) : channel_(c), inbox_(std::move(inbox)) {}

std::optional<routing_info> channel_rule::match(case_message const& m) const {
  if (m.channel != channel_) return std::nullopt;
  return routing_info{inbox_, priority::normal, std::nullopt, "channel:" + std::string(to_string(channel_))};
}

router::router(routing_config const& config) : configured_(config.rules), words_(config.rules), default_inbox_(config.default_inbox) {
  needs_arrival_ = std::any_of(configured_.begin(), configured_.end(), [](rule_config const& r) { return r.arrival.has_value(); });
  for (auto const& [c, inbox] : config.by_channel) rules_.push_back(std::make_unique<channel_rule>(c, inbox));
}

routing_config read_routing(channels::object_reader& r, std::set<std::string> const& inbox_ids) {
  routing_config c;
  c.default_inbox = r.text("default_inbox", "", true);
  if (!inbox_ids.count(c.default_inbox)) channels::fail(r.path() + "/default_inbox", "names no inbox in /inboxes");
  r.object("channels", false, [&](channels::object_reader& ch) {
    for (auto const each : all_channels) {
      auto const name = std::string(to_string(each));
      if (!ch.has(name)) continue;
      auto const inbox = ch.text(name, "");
      if (!inbox_ids.count(inbox)) channels::fail(ch.path() + "/" + name, "names no inbox in /inboxes");
      c.by_channel[each] = inbox;
    }
  });
  c.rules = read_rules(r, inbox_ids);
  return c;
}

routing_info router::route(case_message const& m) const {
  if (!configured_.empty()) {
    message_facts const facts{needs_arrival_ ? local_moment_of(m.received_at) : local_moment{},
                              m.addressed_to ? address_key(*m.addressed_to) : std::string{}};
    std::optional<rule_words::found_phrases> found;  // read when a rule first needs the words
    for (std::size_t i = 0; i < configured_.size(); ++i) {
      auto const& r = configured_[i];
      if (!matches_besides_words(r, m, facts)) continue;
      if (!r.word_stems.empty()) {
        if (!found) found = words_.find(m.subject.value_or(""), m.text);
        if (!words_.rule_found(i, *found)) continue;
      }
      return routing_info{r.inbox, r.priority.value_or(priority::normal), r.topic, r.name};
    }
  }
  for (auto const& r : rules_)
    if (auto decision = r->match(m)) return *decision;
  return routing_info{default_inbox_, priority::normal, std::nullopt, "default"};
}

} // namespace balie::routing
