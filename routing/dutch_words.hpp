#pragma once
// Words as routing compares them, Dutch-aware: diacritics dropped (`één` is
// `een`), lower case, split on anything that is not a letter or digit, and
// each word reduced to its stem by Snowball's Dutch stemmer (libstemmer), so
// that a rule for `container` also matches `containers` and `Containers`,
// and one for `aanvraag` matches `aanvragen`. Pure; thread-safe (a stemmer
// per thread). Each distinct word is stemmed once, and ASCII text takes a
// fast path past Unicode folding: routing runs for every message.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace balie::routing {

/// FNV-1a for words: they are short, and std::hash's general-purpose hash costs more than the lookup.
struct word_hash {
  std::size_t operator()(std::string_view w) const noexcept {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : w) h = (h ^ c) * 1099511628211ULL;
    return static_cast<std::size_t>(h);
  }
};

struct stemmed_words {
  std::vector<std::string> stems;    ///< each distinct stem once
  std::vector<std::uint32_t> order;  ///< the text's words in order, as indexes into `stems`
};

/// `text` must be valid UTF-8.
stemmed_words stem_words(std::string_view text);

/// The stems of `text`'s words, in order.
std::vector<std::string> word_stems(std::string_view text);

} // namespace balie::routing
