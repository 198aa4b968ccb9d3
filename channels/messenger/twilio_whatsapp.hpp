#pragma once
// WhatsApp through Twilio (CHANNELS.md 2.2, 2.5, 5.1), without I/O. Twilio
// posts a form with `whatsapp:+31…` addresses (From, To), Body, MessageSid,
// ProfileName, and status callbacks to the URL Balie gave with the message
// (`…/messenger/twilio/status?case=…&message=…`, so a report names its
// message without a lookup). Every post is believed only once its
// X-Twilio-Signature matches (channels/webhook_signatures.hpp). Out: the
// Messages API with `whatsapp:` addresses; the approved template by its
// Content SID with the case reference as variable 1. Error 63016 is
// Twilio's word for a closed 24-hour window.

#include "channels/messenger/send_answer.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/messenger/whatsapp_webhook.hpp"
#include "channels/outbound_http.hpp"

#include <string>

namespace balie::messenger {

/// A resident's message. A post without `whatsapp:` addresses (an SMS) is refused.
notification_result read_twilio_whatsapp(channels::form_fields const& form);
/// A status callback: `query` carries Balie's ids, `form` Twilio's MessageStatus and ErrorCode.
notification_result read_twilio_whatsapp_status(channels::form_fields const& query, channels::form_fields const& form);

/// Where Twilio reports on one message: public_base/api/v1/webhooks/messenger/twilio/status?case=…&message=….
std::string twilio_status_url(std::string const& public_base, std::string const& case_id, std::string const& message_id);

channels::outbound_request twilio_text_request(twilio_whatsapp_config const&, std::string const& to, std::string const& text,
                                               std::string const& status_url);
channels::outbound_request twilio_template_request(twilio_whatsapp_config const&, std::string const& to, std::string const& case_reference,
                                                   std::string const& status_url);

send_answer read_twilio_answer(channels::outbound_answer const&);

} // namespace balie::messenger
