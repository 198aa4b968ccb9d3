#pragma once
// Bounces. An RFC 3464 report (`multipart/report; report-type=
// delivery-status`) carries a `message/delivery-status` part: header groups
// separated by blank lines, one for the message and one per recipient. Balie
// reads the first recipient group whose action is `failed` (else `delayed`),
// and the Message-ID of the returned original, which is how the bounce finds
// the reply it concerns. Exchange-style NDRs without a report are read
// heuristically from their text and marked so.

#include <optional>
#include <string>
#include <string_view>

namespace balie::email {

struct delivery_report {
  std::string action;      ///< failed, delayed, delivered, relayed, expanded
  std::string status;      ///< RFC 3463 class.subject.detail, e.g. 5.1.1
  std::string recipient;   ///< Final-Recipient without its type
  std::string diagnostic;  ///< Diagnostic-Code without its type, unfolded
  std::string original_message_id;  ///< of the returned message, without brackets
  bool heuristic = false;  ///< read from prose, not from a report
};

/// The body of a message/delivery-status part.
std::optional<delivery_report> parse_delivery_status(std::string_view);

/// A text-only non-delivery notice: finds an RFC 3463 status in the prose.
std::optional<delivery_report> guess_delivery_failure(std::string_view text);

} // namespace balie::email
