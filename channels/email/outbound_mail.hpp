#pragma once
// A reply as an RFC 5322 message: `multipart/alternative` with the staff
// text as plain text and as simple, accessible HTML (`lang`, paragraphs,
// lists, links that say where they go). Every header value built from data
// is checked: CR, LF or NUL anywhere refuses the whole mail, so no field can
// inject a header. Non-ASCII subjects and names are RFC 2047 encoded; the
// bodies are quoted-printable UTF-8.

#include "channels/case_message.hpp"
#include "channels/rejection.hpp"

#include <string>
#include <vector>

namespace balie::email {

struct outbound_mail {
  std::string from_address;  ///< e.g. info@gemeente.test
  std::string from_name;     ///< e.g. Gemeente Voorbeeld
  std::string to_address;
  std::string to_name;
  std::string reply_to;      ///< info+TOKEN@gemeente.test
  std::string subject;
  std::string message_id;    ///< without brackets
  std::string in_reply_to;   ///< without brackets; may be empty
  std::vector<std::string> references;  ///< oldest first, without brackets
  std::string text;
  std::string language = "nl";
  bool automatic = false;    ///< an acknowledgement: Auto-Submitted: auto-replied
  timestamp date{};
  std::string boundary;      ///< unique per mail (random)
};

outcome<std::string> compose_mail(outbound_mail const&);

/// A MIME boundary of its own for each mail.
std::string random_boundary();

/// The HTML version of a plain text: paragraphs, "- " lists, links. Exposed for tests.
std::string text_to_html(std::string_view text, std::string_view language, std::string_view title);

/// Quoted-printable (RFC 2045) with CRLF line ends. Exposed for tests.
std::string quoted_printable(std::string_view);

} // namespace balie::email
