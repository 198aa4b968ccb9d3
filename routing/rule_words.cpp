#include "routing/rule_words.hpp"

#include <algorithm>
#include <atomic>
#include <map>

namespace balie::routing {
namespace {

std::atomic<std::uint64_t> generations{0};

/// Per thread, for the rule set it last read with: each word's verdict (which rule stem it is; -1 for
/// none). Open addressing over 32-byte slots with the word inline (a 256 KB table), at most half full.
class word_cache {
public:
  static constexpr std::size_t longest_word = 19;  // a longer word (a rare compound, a code) is stemmed each time

  static word_cache& of(std::uint64_t generation) {
    thread_local word_cache c;
    if (c.generation_ != generation) c.start(generation);
    return c;
  }

  /// The verdict on `word`, worked out by `verdict` the first time.
  template <class Verdict>
  std::int32_t find(std::string_view word, Verdict&& verdict) {
    if (word.size() > longest_word) return verdict();
    auto const h = word_hash{}(word);
    auto i = h & mask;
    for (; slots_[i].length != 0; i = (i + 1) & mask)
      if (slots_[i].hash == h && std::string_view(slots_[i].text, slots_[i].length) == word) return slots_[i].stem;
    auto const stem = verdict();
    if (used_ >= slot_count / 2) {
      start(generation_);
      i = h & mask;
    }
    auto& s = slots_[i];
    s.hash = h;
    s.stem = stem;
    s.length = static_cast<std::uint8_t>(word.size());
    std::copy(word.begin(), word.end(), s.text);
    ++used_;
    return stem;
  }

private:
  struct slot {
    std::uint64_t hash = 0;
    std::int32_t stem = -1;
    std::uint8_t length = 0;  ///< 0: empty (a word is never empty)
    char text[longest_word];
  };
  static_assert(sizeof(slot) == 32);
  static constexpr std::size_t slot_count = 1 << 13;
  static constexpr std::size_t mask = slot_count - 1;

  void start(std::uint64_t g) {
    generation_ = g;
    slots_.assign(slot_count, slot{});
    used_ = 0;
  }

  std::uint64_t generation_ = 0;  // rule sets count from 1
  std::vector<slot> slots_;
  std::size_t used_ = 0;
};

} // namespace

rule_words::rule_words(std::vector<rule_config> const& rules) : generation_(++generations) {
  std::map<std::vector<std::uint32_t>, std::uint32_t> phrase_numbers;
  for (auto const& rule : rules) {
    auto& mine = rule_phrases_.emplace_back();
    for (auto const& words : rule.word_stems) {
      std::vector<std::uint32_t> phrase;
      for (auto const& s : words) phrase.push_back(stems_.emplace(s, static_cast<std::uint32_t>(stems_.size())).first->second);
      auto const [at, fresh] = phrase_numbers.emplace(phrase, static_cast<std::uint32_t>(phrases_.size()));
      if (fresh) phrases_.push_back(phrase);
      mine.push_back(at->second);
    }
  }
  for (auto const& [s, number] : stems_) {
    auto const core = stem_core(s);
    first_two_.add(core.substr(0, shortest_opening));
    if (core.size() < shortest_opening) continue;  // a one-letter stem is only its own word's: may_match lets those through
    auto const opening = core.substr(0, std::min(core.size(), longest_opening));
    openings_[opening.size() - shortest_opening].add(opening);
    auto& same = cores_[opening];
    if (std::find(same.begin(), same.end(), core) == same.end()) same.push_back(core);
  }
  single_.resize(stems_.size());
  for (std::uint32_t p = 0; p < phrases_.size(); ++p) {
    if (phrases_[p].size() == 1) single_[phrases_[p][0]].push_back(p);
    else multi_.push_back(p);
  }
}

std::string stem_core(std::string_view stem) {
  return std::string(stem.substr(0, std::max<std::size_t>(2, stem.size() < 2 ? 0 : stem.size() - 2)));
}

bool rule_words::may_match(std::string_view word) const {
  auto h = word_hash{}(word.substr(0, shortest_opening));
  if (!first_two_.may_have(h)) return false;  // most words end here
  if (word.size() < shortest_opening) return true;
  for (auto length = shortest_opening; length <= std::min(word.size(), longest_opening); ++length) {
    if (length > shortest_opening) h = word_hash::step(h, word[length - 1]);
    if (!openings_[length - shortest_opening].may_have(h)) continue;
    auto const same = cores_.find(word.substr(0, length));
    if (same != cores_.end() && std::any_of(same->second.begin(), same->second.end(), [&](std::string const& c) { return word.starts_with(c); }))
      return true;
  }
  return false;
}

std::int32_t rule_words::stem_number(std::string_view word) const {
  auto const s = stems_.find(stem(word));
  return s == stems_.end() ? -1 : static_cast<std::int32_t>(s->second);
}

rule_words::found_phrases rule_words::find(std::string_view subject, std::string_view text) const {
  found_phrases found(phrases_.size(), false);
  if (phrases_.empty()) return found;
  struct hit {
    std::uint32_t position, stem;
  };
  std::vector<hit> hits;
  std::uint32_t position = 0;
  auto& cache = word_cache::of(generation_);
  for (auto const part : {subject, text}) {
    for_each_word(part, [&](std::string_view word) {
      if (auto const s = may_match(word) ? cache.find(word, [&] { return stem_number(word); }) : -1; s >= 0) {
        hits.push_back({position, static_cast<std::uint32_t>(s)});
        for (auto const p : single_[static_cast<std::size_t>(s)]) found[p] = true;
      }
      ++position;
    });
    ++position;  // a phrase does not run from the subject into the text
  }
  for (auto const p : multi_) {
    auto const& phrase = phrases_[p];
    for (std::size_t k = 0; k + phrase.size() <= hits.size() && !found[p]; ++k) {
      bool whole = true;
      for (std::size_t j = 0; j < phrase.size() && whole; ++j)
        whole = hits[k + j].stem == phrase[j] && hits[k + j].position == hits[k].position + j;
      found[p] = whole;
    }
  }
  return found;
}

bool rule_words::rule_found(std::size_t rule, found_phrases const& found) const {
  auto const& mine = rule_phrases_[rule];
  return std::any_of(mine.begin(), mine.end(), [&](std::uint32_t p) { return found[p]; });
}

} // namespace balie::routing
