#pragma once
// The resident's own words out of a mail body: the quoted history and the
// signature go, the greeting and the name stay. Mail is top-posted in
// practice, so everything from the first history marker on is cut (Dutch and
// English: "Op … schreef …:", "-----Oorspronkelijk bericht-----", Outlook's
// Van:/Verzonden: block, a line of underscores, "On … wrote:", forwarded-
// message headers); then the remaining "> " lines go. A signature starts at
// "-- " or at a phone's "Verstuurd vanaf mijn iPhone". Nothing is lost: the
// whole mail is kept as an attachment of the case-message.

#include <string>
#include <string_view>

namespace balie::email {

/// Line endings to "\n", no-break spaces to spaces, trailing white space off
/// every line, no leading or trailing blank lines, at most one blank line in
/// a row.
std::string tidy_text(std::string_view);

/// `body` is UTF-8 text (HTML already converted); the result is tidied.
std::string own_words(std::string_view body);

} // namespace balie::email
