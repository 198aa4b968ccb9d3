#pragma once
// Routing decides which inbox a case-message lands in, at what priority and
// with which topic. Pure: the configured rules (routing/rules.hpp) in order,
// then the inbox per channel, then the default inbox, which always exists,
// so every message reaches a human. The message's words are read once per
// message, whatever the number of rules, and only when a rule whose other
// conditions hold asks for words.

#include "channels/case_message.hpp"
#include "routing/rule_words.hpp"
#include "routing/rules.hpp"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace balie::routing {

class rule {
public:
  virtual ~rule() = default;
  virtual std::optional<routing_info> match(case_message const&) const = 0;
};

/// Sends every message of one channel to one inbox.
class channel_rule final : public rule {
public:
  channel_rule(channel, std::string inbox);
  std::optional<routing_info> match(case_message const&) const override;

private:
  balie::channel channel_;
  std::string inbox_;
};

struct routing_config {
  std::string default_inbox;
  std::map<channel, std::string> by_channel;
  std::vector<rule_config> rules;  ///< tried first, in order
  bool operator==(routing_config const&) const = default;
};

/// Reads a routing section (`default_inbox`, `channels`, `rules`), checked against the inboxes there are;
/// throws channels::config_error naming the key and why. The same for the config file and for an admin's PUT.
routing_config read_routing(channels::object_reader&, std::set<std::string> const& inbox_ids);

class router {
public:
  explicit router(routing_config const&);
  routing_info route(case_message const&) const;
  std::string const& default_inbox() const { return default_inbox_; }

private:
  std::vector<rule_config> configured_;
  rule_words words_;
  bool needs_arrival_ = false;
  std::vector<std::unique_ptr<rule>> rules_;
  std::string default_inbox_;
};

} // namespace balie::routing
