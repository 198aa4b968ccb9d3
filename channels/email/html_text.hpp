#pragma once
// HTML mail to readable text with libxml2's forgiving HTML parser: no
// network, no scripts, no styles, no images without alt text (so tracking
// pixels vanish). Blocks become lines, list items "- item", table rows one
// line with cells separated by " | ", links "text <href>". Quoted history
// that mail clients mark in the markup (Gmail's gmail_quote, Apple Mail and
// Thunderbird's blockquote type=cite, Outlook's divRplyFwdMsg/appendonsend
// and the separator rule before it) is left out; the plain-text rules in
// reply_text.hpp then catch what is only marked in words.

#include <string>
#include <string_view>

namespace balie::email {

/// `html` must be UTF-8 (decode its charset first).
std::string html_to_text(std::string_view html);

} // namespace balie::email
