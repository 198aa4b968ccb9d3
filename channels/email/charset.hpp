#pragma once
// Text bytes of a mail part to UTF-8, the way mail clients actually behave
// rather than the way labels claim. `iso-8859-1`, `latin1` and `us-ascii`
// are read as windows-1252 (as the WHATWG Encoding Standard does), so Word's
// smart quotes and the euro sign survive; 8-bit text without a charset is
// UTF-8 when it is valid UTF-8, else windows-1252. Other charsets go through
// iconv; bytes it cannot convert become U+FFFD, never a dropped character.

#include <string>
#include <string_view>
#include <vector>

namespace balie::email {

/// `declared` is the charset parameter as written (may be empty). Anything
/// guessed or relabelled is added to `warnings` (codes from mime_parse.hpp).
std::string decode_text(std::string_view bytes, std::string_view declared, std::vector<std::string>& warnings);

/// Whether a charset label can be decoded (by Balie or iconv).
bool charset_known(std::string_view label);

/// RFC 2047 encoded-words whose charset nobody knows are relabelled UTF-8
/// (when their bytes are valid UTF-8) or windows-1252, so no byte is dropped
/// when the header is decoded; adds "charset-unknown" when it did so.
std::string relabel_unknown_charsets(std::string_view header_value, std::vector<std::string>& warnings);

/// windows-1252 to UTF-8; the five unassigned bytes map to their C1 code points.
std::string windows1252_to_utf8(std::string_view);

} // namespace balie::email
