#pragma once
// WhatsApp through CM.com (CHANNELS.md 2.2, 2.5, 5.1), without I/O. CM posts
// a resident's WhatsApp message in the same JSON as its SMS, with
// `"channel": "WhatsApp"`, and its status reports in the same shape too; the
// messenger has its own URLs for both (`/api/v1/webhooks/messenger/cm/
// {secret}` and `…/status`), so a CM account that also carries SMS posts
// each to its own module. Out, Balie's case and message id ride as CM's
// `reference`, which every status report echoes. CM signs nothing: the
// intake checks the path secret and the source address first.

#include "channels/messenger/send_answer.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/messenger/whatsapp_webhook.hpp"
#include "channels/outbound_http.hpp"

#include <string>
#include <string_view>

namespace balie::messenger {

/// A resident's message: one message, or a refusal naming the field. Another channel's post is refused.
notification_result read_cm_whatsapp(std::string_view body);
/// A status report; a report for a message that is not Balie's has no case id (answered, changes nothing).
notification_result read_cm_whatsapp_status(std::string_view body);

/// A text to `to` (E.164) on WhatsApp only, `reference` (callback_data) echoed in its reports.
channels::outbound_request cm_text_request(cm_whatsapp_config const&, std::string const& to, std::string const& text, std::string const& reference);
/// The approved template (its name and language from `w`), the case reference as its one parameter.
channels::outbound_request cm_template_request(whatsapp_config const& w, std::string const& to, std::string const& case_reference,
                                               std::string const& reference);

send_answer read_cm_answer(channels::outbound_answer const&);

} // namespace balie::messenger
