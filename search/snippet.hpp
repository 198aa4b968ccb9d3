#pragma once
// The few lines shown with a search hit: the words around the first word
// whose stem the query asked for, cut at word boundaries, on one line. Only
// words that begin as a query stem begins are stemmed (Snowball's Dutch
// stemmer changes only a word's end), so a long message costs little.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace balie::search {

/// About `width` bytes of `text` (valid UTF-8) around the first word with one of `stems`; nullopt if none has.
std::optional<std::string> snippet(std::string_view text, std::vector<std::string> const& stems, std::size_t width = 160);

/// The first line of `text` with content, on one line, at most `width` bytes (cut at a word, `…` added).
std::string first_line(std::string_view text, std::size_t width = 120);

} // namespace balie::search
