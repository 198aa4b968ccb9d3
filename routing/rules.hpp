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
#include <unordered_map>
#include <vector>

namespace balie::routing {

struct rule_config {
  std::string name;
  std::vector<channel> channels;
  std::vector<std::string> providers;
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

/// A message's words as rules look them up: each distinct stem by hash (single words), and in
/// order (phrases).
class message_words {
public:
  explicit message_words(stemmed_words);
  bool contains(std::vector<std::string> const& phrase) const;

private:
  stemmed_words words_;
  std::unordered_map<std::string_view, std::uint32_t, word_hash> index_;  ///< views into words_.stems
};

/// Whether `rule` matches the message `m`, whose subject and text have `words`.
bool matches(rule_config const& rule, case_message const& m, message_words const& words);

} // namespace balie::routing
