#pragma once
// WhatsApp out (CHANNELS.md 5.1), without I/O: the Cloud API's send request
// for a text or for the approved template, and its answer read back. Each
// request carries Balie's case and message id as `biz_opaque_callback_data`,
// which Meta returns in every status for it, so a status names its message
// without a lookup table. The answer maps Meta's error codes: 131047 (the
// 24-hour window closed), 190 (Balie's token), the rate limits.

#include "channels/messenger/send_answer.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/outbound_http.hpp"

#include <string>

namespace balie::messenger {

/// A text reply to `to` (E.164).
channels::outbound_request whatsapp_text_request(whatsapp_config const&, std::string const& to, std::string const& text,
                                                 std::string const& callback);
/// The configured template, with the case reference as its one parameter.
channels::outbound_request whatsapp_template_request(whatsapp_config const&, std::string const& to, std::string const& reference,
                                                     std::string const& callback);

send_answer read_whatsapp_answer(channels::outbound_answer const&);

} // namespace balie::messenger
