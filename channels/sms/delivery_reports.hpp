#pragma once
// Delivery reports, each provider's read into one shape (CHANNELS.md 2.5):
// which outbound message, and what happened to it as Balie's delivery status
// (`sent`: the operator has it; `delivered`: the phone has it; `failed`).
// Intermediate states (queued, sending, accepted) are `ignored`: Balie
// already says `sent` or `queued`. The store moves a status forward only,
// so reports that arrive twice or out of order, or one per part of a long
// SMS, cannot move it back.

#include "channels/sms/inbound_sms.hpp"
#include "channels/sms/outbound_sms.hpp"

namespace balie::sms {

struct delivery_report {
  outbound_ref ref;
  std::string status;  ///< sent, delivered, failed; empty: ignored
  std::string detail;  ///< the provider's code, for staff
};

using report_result = boost::system::result<delivery_report, sms_refusal>;

/// Kannel's dlr-url call: our `case` and `message`, and `type` (%d: 1, 2, 4, 8, 16).
report_result read_kannel_report(form_fields const& query);
/// Twilio's status callback: our ids in the query, MessageStatus and ErrorCode in the form.
report_result read_twilio_report(form_fields const& query, form_fields const& form);
/// CM's status report JSON: messages.msg.reference and status.code (0 accepted, 1 rejected, 2 delivered, 3 failed).
report_result read_cm_report(std::string_view json);
/// Bird's message status event (JSON): reference and status, at the top or under `payload`.
report_result read_bird_report(std::string_view json);
/// MessageBird's status report (query): reference and status (sent, buffered, delivered, expired, delivery_failed).
report_result read_messagebird_report(form_fields const& query);

} // namespace balie::sms
