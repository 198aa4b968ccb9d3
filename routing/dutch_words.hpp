#pragma once
// Words as routing compares them, Dutch-aware: diacritics dropped (`één` is
// `een`), lower case, split on anything that is not a letter or digit, and
// each word reduced to its stem by Snowball's Dutch stemmer (libstemmer), so
// that a rule for `container` also matches `containers` and `Containers`,
// and one for `aanvraag` matches `aanvragen`. Pure; thread-safe (a stemmer
// per thread). ASCII text takes a fast path past Unicode folding: routing
// runs for every message.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace balie::routing {

/// FNV-1a for words: they are short, and std::hash's general-purpose hash costs more than the lookup.
struct word_hash {
  using is_transparent = void;  // looks up a std::string key by a std::string_view
  static constexpr std::uint64_t empty = 1469598103934665603ULL;
  /// The hash of a word one letter (byte) longer: hashes of a word's openings come one from another.
  static constexpr std::uint64_t step(std::uint64_t h, char c) noexcept { return (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL; }
  std::size_t operator()(std::string_view w) const noexcept {
    auto h = empty;
    for (char c : w) h = step(h, c);
    return static_cast<std::size_t>(h);
  }
};

/// Lower case without diacritics; `text` must be valid UTF-8.
std::string folded(std::string_view text);

/// A text's words, folded, each followed by one space in `letters`; `ends` holds where each ends.
struct folded_words {
  std::string letters;
  std::vector<std::uint32_t> ends;
};

/// The words of `text` (valid UTF-8): one pass for ASCII text.
folded_words words_of(std::string_view text);

/// Calls `each(word)` for every folded word of `text`, in order.
template <class Each>
void for_each_word(std::string_view text, Each&& each) {
  auto const words = words_of(text);
  std::uint32_t start = 0;
  for (auto const end : words.ends) {
    each(std::string_view(words.letters).substr(start, end - start));
    start = end + 1;
  }
}

/// The stem of one folded word.
std::string stem(std::string_view word);

/// The stems of `text`'s words, in order.
std::vector<std::string> word_stems(std::string_view text);

} // namespace balie::routing
