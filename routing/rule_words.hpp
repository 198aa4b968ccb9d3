#pragma once
// The words a rule set asks for, and which of them a message contains.
// Built once per rule set: every distinct stem of every rule's words gets a
// number, and each phrase is a row of those numbers. A message is read once,
// whatever the number of rules: each word is folded and split off, and only
// the stems some rule asks for are kept. Stemming is the costly step, so two
// things spare it. Snowball's Dutch stemmer cuts endings, turns `heden` into
// `heid` and at last may drop one of a double vowel before the final letter
// (`baaren`, `baar`, `bar`); so a word begins with its stem's core
// (stem_core(): all but the last two letters, and at least the first two),
// and a word that begins with no rule stem's core cannot match and is never
// stemmed (routing_test checks that property over real and made-up words). The rest are looked up in a cache per thread that keeps each word's
// verdict (which rule stem it is, if any) for the rule set the thread last
// read with; it holds at most 4,096 words and starts again when full.
// Thread-safe: the cache is per thread, the rule set's own data is read-only.

#include "routing/rules.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace balie::routing {

/// What every word with this stem begins with: the stem without its last two letters, and at least
/// its first two (a stem is never longer than its word).
std::string stem_core(std::string_view stem);

class rule_words {
public:
  explicit rule_words(std::vector<rule_config> const& rules);

  /// A flag per phrase of the rule set: whether the message's subject or text contains it.
  using found_phrases = std::vector<bool>;
  found_phrases find(std::string_view subject, std::string_view text) const;

  /// Whether any of the words of rule `rule` (its index) is among `found`.
  bool rule_found(std::size_t rule, found_phrases const& found) const;

private:
  /// The number of `word`'s stem among the rules' stems; -1 when no rule asks for it.
  std::int32_t stem_number(std::string_view word) const;

  /// Whether a word may stem to one of the rules' stems (false: it certainly does not).
  bool may_match(std::string_view word) const;

  std::uint64_t generation_;  ///< tells one rule set's cached verdicts from another's
  std::unordered_map<std::string, std::uint32_t, word_hash, std::equal_to<>> stems_;
  std::vector<std::vector<std::uint32_t>> phrases_;      ///< as stem numbers
  std::vector<std::vector<std::uint32_t>> single_;       ///< per stem number: the one-word phrases of that stem
  std::vector<std::uint32_t> multi_;                     ///< phrases of more than one word
  std::vector<std::vector<std::uint32_t>> rule_phrases_;  ///< per rule
  /// Openings by their hash in a kilobyte of bits: small enough to stay in the nearest cache. Two openings
  /// may share a bit; that costs a closer look, never a match.
  class opening_set {
  public:
    void add(std::string_view opening) {
      auto const b = word_hash{}(opening) & (size - 1);
      bits_[b / 64] |= std::uint64_t{1} << (b % 64);
    }
    bool may_have(std::uint64_t hash) const {
      auto const b = hash & (size - 1);
      return ((bits_[b / 64] >> (b % 64)) & 1) != 0;
    }

  private:
    static constexpr std::size_t size = 1 << 13;
    std::array<std::uint64_t, size / 64> bits_{};
  };
  static constexpr std::size_t shortest_opening = 2, longest_opening = 6;
  opening_set first_two_;  ///< the first two letters of every rule stem's core
  /// Per length from shortest_opening to longest_opening: the cores' openings (a core's first six letters, or
  /// all of a shorter one), each looked closer at in cores_.
  std::array<opening_set, longest_opening - shortest_opening + 1> openings_;
  std::unordered_map<std::string, std::vector<std::string>, word_hash, std::equal_to<>> cores_;  ///< by their openings
};

} // namespace balie::routing
