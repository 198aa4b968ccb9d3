#pragma once
// What a staff member typed in the search field, read three ways: as a case
// reference (`BL-MZFZ8T`, `bl-mzfz8t`, `MZFZ8T`; O read as 0, I and L as 1,
// as people copy them), as a resident's address (an email address, a phone
// number in any Dutch notation, a Matrix ID), or as Dutch words. An address
// is personal data: it must come in a request body, never in a URL.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace balie::search {

struct search_query {
  std::optional<std::string> reference;  ///< `BL-` and six characters, when the text can be one
  std::optional<std::string> address;    ///< the address token (index_terms.hpp) when the text is an address
  std::vector<std::string> words;        ///< word tokens, distinct, at most max_query_words; none for an address or a `BL-` reference
  std::vector<std::string> stems;        ///< the words' stems, for snippets
};

inline constexpr std::size_t max_query_words = 8;

search_query read_search_query(std::string_view text);

} // namespace balie::search
