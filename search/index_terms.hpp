#pragma once
// What a case-message adds to the search index: tokens, each naming one key
// of an inbox's index in Redis. A word token is `w:` and the word's Dutch
// stem (Snowball), so `containers` finds `container`; an address token is
// `a:` and the SHA-256 of the address in one normal form (an email address in
// lower case, a phone number in E.164), so no address appears in a key name.
// Common function words (de, het, een, ...) are not indexed, and neither is a
// word with six digits or more: a BSN, an account or phone number must not
// become a key.

#include "channels/case_message.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace balie::search {

/// The index token of one folded word; empty when the word is not indexed.
std::string word_token(std::string_view folded_word);

/// An address in its normal form (lower case, or E.164 for a phone number), then as a token.
std::string address_token(std::string_view address);

/// Every distinct token of a message: its subject's, text's and transcript's words, the resident's
/// name, the resident's addresses. At most `max_tokens`.
std::vector<std::string> index_tokens(case_message const&);

inline constexpr std::size_t max_tokens = 2000;

} // namespace balie::search
