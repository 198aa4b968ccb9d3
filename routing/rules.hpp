#pragma once
// Routing rules as data: an ordered list, each a name, what it matches and
// where a match goes. A rule matches when every condition it gives holds; a
// list condition holds when any of its values does. Words match Dutch-aware
// (routing/dutch_words.hpp) in the subject and text; a phrase of several
// words matches those words in a row. The first matching rule decides the
// inbox, the priority and the topic, and its name is recorded on the
// case-message (`routing.rule`). Read and validated as a whole: a mistake
// names the rule's index and the reason, and nothing of the list is used.

#include "channels/case_message.hpp"
#include "channels/config_reader.hpp"
#include "routing/dutch_words.hpp"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace balie::routing {

/// When a message arrived, in the installation's local time: on these weekdays (0 = Sunday; empty: any)
/// and between `from` and `until` (minutes since midnight; `until` before `from` runs past midnight).
struct arrival_window {
  std::vector<int> days;
  std::optional<int> from_minute, until_minute;
  bool operator==(arrival_window const&) const = default;
};

/// The local weekday and minute of a moment, as arrival windows read them.
struct local_moment {
  int weekday = 0;  ///< 0 = Sunday
  int minute = 0;   ///< since midnight
};
local_moment local_moment_of(timestamp);

/// An address the municipality is written to, in the form rules compare: lower case without spaces,
/// a phone number or short code as its digits with the country code (`+31 970-1234`, `0031970 1234`
/// and `0970 1234` are the same).
std::string address_key(std::string_view);

struct rule_config {
  std::string name;
  std::vector<channel> channels;
  std::vector<std::string> providers;
  std::vector<std::string> addressed_to;             ///< as address_key()
  std::optional<arrival_window> arrival;
  std::vector<std::string> words;                    ///< as written; each may be a phrase
  std::vector<std::vector<std::string>> word_stems;  ///< the same, as stems
  std::vector<std::string> languages;                ///< ISO 639-3
  std::vector<resident_need> needs;
  std::optional<bool> possible_bsn;
  std::optional<bool> confidential;
  std::string inbox;
  std::optional<balie::priority> priority;
  std::optional<std::string> topic;
  bool operator==(rule_config const&) const = default;
};

/// Reads /routing/rules; throws channels::config_error naming the rule (`/routing/rules/3/...`) and why.
std::vector<rule_config> read_rules(channels::object_reader& routing, std::set<std::string> const& inbox_ids);

/// What rules read of a message beyond its fields, worked out once per message.
struct message_facts {
  local_moment arrival;     ///< when it was received, local time
  std::string addressed_to; ///< as address_key()
};

/// Whether `rule`'s conditions other than its words hold for the message `m` (its words are
/// looked up for all rules at once: routing/rule_words.hpp).
bool matches_besides_words(rule_config const& rule, case_message const& m, message_facts const&);

} // namespace balie::routing
