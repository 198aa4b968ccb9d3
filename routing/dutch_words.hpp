#pragma once
// Words as routing compares them, Dutch-aware: diacritics dropped (`één` is
// `een`), lower case, split on anything that is not a letter or digit, and
// each word reduced to its stem by Snowball's Dutch stemmer (libstemmer), so
// that a rule for `container` also matches `containers` and `Containers`,
// and one for `aanvraag` matches `aanvragen`. Pure; thread-safe (a stemmer
// per thread).

#include <string>
#include <string_view>
#include <vector>

namespace balie::routing {

/// The stems of `text`'s words, in order. `text` must be valid UTF-8.
std::vector<std::string> word_stems(std::string_view text);

} // namespace balie::routing
