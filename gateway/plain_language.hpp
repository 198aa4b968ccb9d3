#pragma once
// Plain-language (B1) hints on a staff text: a sentence of more than 15
// words, an officialese word with its simpler one (web/inbox/jargon-nl.json),
// and a passive sentence ("uw aanvraag wordt behandeld": who does what?).
// The staff page gives the same hints while staff type (web/inbox/
// plain-language.js); both are checked against one table
// (tests/fixtures/plain-language.json). Hints never block anything.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace balie::gateway {

inline constexpr std::size_t max_sentence_words = 15;

struct plain_language_hint {
  std::string kind;        ///< sentence, jargon, passive
  std::string start;       ///< sentence, passive: the sentence's first five words
  std::size_t words = 0;   ///< sentence: how many words it has
  std::string word;        ///< jargon: the word; passive: the helper verb and the participle
  std::string suggestion;  ///< jargon: the simpler word
};

/// `jargon`: lower-case word or phrase → simpler word.
std::vector<plain_language_hint> plain_language_hints(std::string_view text, std::map<std::string, std::string> const& jargon);

/// The jargon list from its JSON file ({"words": {...}}); empty when the file is missing or unreadable.
std::map<std::string, std::string> read_jargon(std::string const& path);

} // namespace balie::gateway
