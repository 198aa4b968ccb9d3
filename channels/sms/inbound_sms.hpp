#pragma once
// One incoming SMS as each provider delivers it (CHANNELS.md 2.2), read into
// one shape before it becomes a case-message: the sender in E.164 (`06…`,
// `+316…`, `00316…`, `316…` all read), the text as UTF-8 in NFC, and the
// provider's message id, the key that keeps a retried webhook from becoming
// a second message. Kannel may hand over UCS-2 as UTF-16BE bytes: decoded
// here, and a lone surrogate refused. Anything unreadable is refused with the
// field and why (the answer's detail); nothing here touches I/O.

#include "channels/sms/webhook_auth.hpp"
#include "channels/time_format.hpp"

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace balie::sms {

struct inbound_sms {
  std::string from;        ///< E.164
  std::string to;          ///< the municipality's number or short code, as the provider wrote it
  std::string text;        ///< UTF-8, NFC; may be empty (an empty SMS still reaches a person)
  std::string message_id;  ///< the provider's id: the dedup key
  std::optional<timestamp> sent_at;
};

/// Which field was wrong and how; never the field's value.
struct sms_refusal {
  std::string reason;
};

using read_result = boost::system::result<inbound_sms, sms_refusal>;

/// Twilio's form post (MessageSid, From, To, Body).
read_result read_twilio(form_fields const&);
/// Bird's Channels API JSON (id, sender.contact.identifierValue, body.text.text, createdAt).
read_result read_bird(std::string_view json);
/// MessageBird's legacy SMS forward, query or form (id, originator, recipient, body, createdDatetime).
read_result read_messagebird(form_fields const&);
/// CM.com's JSON (reference, from.number, to.number, message.text, timeUtc).
read_result read_cm(std::string_view json);
/// Kannel smsbox post-url: the query carries from, to, id, charset, coding; the body is the text.
read_result read_kannel(form_fields const& query, std::string_view body);

} // namespace balie::sms
