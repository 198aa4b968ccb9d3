#pragma once
// The acknowledgement every new case gets on the resident's own channel: the
// case reference, when a person will answer at the latest (from the inbox's
// hours and answer time, "uiterlijk dinsdag 8 december"), and how to reach a
// person now. The gateway writes it (it knows the inboxes' calendars and the
// resource texts); each channel decides whether it may send one (never to an
// auto-reply, a bounce, an opted-out number or Balie's own address) and sends
// it its own way, within the per-address limit.

#include "channels/case_message.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace balie::channels {

enum class acknowledgement_form {
  letter,      ///< email, web chat, messenger: a few short paragraphs
  short_text,  ///< SMS: one or two parts
};

struct acknowledgement_request {
  acknowledgement_form form = acknowledgement_form::letter;
  std::string language = "nl";  ///< "nl" or "en"
  std::string reference;
  std::optional<timestamp> answer_by;  ///< none: no promise could be made (an automatic message)
  bool outside_hours = false;          ///< the inbox was closed when it arrived
  std::optional<std::string> switched_off_notice;  ///< the channel is off: the admin's notice
};

struct acknowledgement_text {
  std::optional<std::string> subject;  ///< letters by email
  std::string text;
  std::string rule;  ///< recorded as the message's routing.rule: acknowledgement, switched-off-notice
};

using acknowledgement_writer = std::function<acknowledgement_text(acknowledgement_request const&)>;

/// At most `limit` automatic messages to one address per `period` (acknowledgements, notices): a
/// loop with another automatic sender ends there.
struct automatic_limit {
  int limit = 10;
  std::chrono::seconds period{3 * 3600};
  bool operator==(automatic_limit const&) const = default;
};

} // namespace balie::channels
