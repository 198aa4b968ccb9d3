#pragma once
// WhatsApp in (CHANNELS.md 5.1): Meta's webhook notification, read into
// resident messages and status reports. Read only after the signature has
// passed over the raw bytes (channels/webhook_signatures.hpp, verify_meta).
// Types Balie cannot carry (a location, a reaction, an unsupported message)
// are ignored and counted by type, never logged with their content; a
// status names Balie's message through the `biz_opaque_callback_data` Balie
// set when it sent it, so a report for anything else is unknown. The
// subscription handshake (`hub.mode`, `hub.verify_token`, `hub.challenge`)
// is answered here too.

#include "channels/messenger/inbound_message.hpp"
#include "channels/webhook_signatures.hpp"

#include <string_view>

namespace balie::messenger {

struct whatsapp_notification {
  std::vector<inbound_message> messages;
  std::vector<outbound_status> statuses;
  std::vector<std::string> ignored;  ///< the type of each message Balie cannot carry
};

using notification_result = boost::system::result<whatsapp_notification, messenger_refusal>;

/// One WhatsApp message as any carrier hands it over (Meta, CM, Twilio), checked the same way: the
/// number in E.164, the id (the dedup key), the text (UTF-8, then NFC, within WhatsApp's limit), the
/// profile name (cut; dropped when unreadable). A refusal names `field` + the field.
boost::system::result<inbound_message, messenger_refusal> checked_whatsapp_message(inbound_message, std::string_view field = "");

/// The Cloud API's notification JSON (object whatsapp_business_account).
notification_result read_whatsapp(std::string_view body);

/// The handshake's answer: `hub.challenge` when `hub.mode` is subscribe and the token matches; else nullopt.
std::optional<std::string> verification_challenge(channels::form_fields const& query, std::string_view verify_token);

/// What Balie puts in a sent message so that reports name it: "<case id>.<message id>", and back.
std::string callback_data(std::string const& case_id, std::string const& message_id);
std::optional<std::pair<std::string, std::string>> from_callback_data(std::string_view);

} // namespace balie::messenger
