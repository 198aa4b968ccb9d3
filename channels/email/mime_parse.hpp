#pragma once
// One mail, raw bytes → what Balie needs of it, with GMime doing MIME and
// Balie deciding charsets, the body, the resident's own words, attachments,
// bounces and whether the mail was sent by a machine. Never throws and never
// refuses: a malformed mail still reaches a person, with a warning list
// saying what was odd. Limits bound the work on hostile input.

#include "channels/case_message.hpp"
#include "channels/email/delivery_status.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace balie::email {

struct mail_address {
  std::string address;  ///< as written (IDN and UTF-8 local parts kept)
  std::string name;     ///< decoded display name; may be empty
};

struct mail_part {
  std::string filename;      ///< decoded (RFC 2047 / RFC 2231); may be empty
  std::string content_type;  ///< declared type/subtype, lower case
  std::string content_id;
  std::string bytes;         ///< transfer encoding removed
};

struct parse_limits {
  std::size_t max_depth = 64;                        ///< MIME nesting walked
  std::size_t max_parts = 1000;                      ///< MIME parts walked
  std::size_t max_attachments = 100;
  std::size_t max_attachment_bytes = 25 * 1024 * 1024;
};

/// Warning codes (a closed list; tests/fixtures/email/README.md explains them):
/// unencoded-8bit-header, invalid-rfc2047, malformed-multipart,
/// truncated-message, charset-guessed, charset-unknown, charset-relabelled,
/// missing-message-id, invalid-date, duplicate-header, nul-byte, long-line,
/// nesting-too-deep, too-many-parts, attachment-too-large, malformed-header.
struct parsed_mail {
  std::optional<mail_address> from;
  std::optional<mail_address> reply_to;
  std::vector<mail_address> to;
  std::vector<mail_address> cc;
  std::string subject;
  std::string message_id;  ///< without brackets; empty when the mail has none
  std::string in_reply_to;
  std::vector<std::string> references;
  std::optional<timestamp> date;
  std::string body;        ///< the chosen body as text, history included
  std::string text;        ///< the resident's own words
  std::vector<mail_part> attachments;
  std::vector<std::string> warnings;
  bool auto_generated = false;       ///< auto-reply, bounce, list or bulk mail
  bool suppress_auto_reply = false;  ///< Balie must send no automatic mail back
  std::optional<delivery_report> bounce;
  std::string content_hash;  ///< sha256 (hex) of everything after the header block
};

parsed_mail parse_mail(std::string_view raw, parse_limits const& = {});

/// Whether a header value asks for no automatic answer (RFC 3834 and what
/// mail systems send in practice); exposed for the tests.
bool is_auto_submitted(std::string_view value);

} // namespace balie::email
