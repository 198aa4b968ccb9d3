#include "channels/messenger/twilio_whatsapp.hpp"

#include "channels/addresses.hpp"
#include "channels/ids.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

namespace balie::messenger {
namespace {

using json = nlohmann::json;
using channels::form_fields;

constexpr std::string_view prefix = "whatsapp:";
constexpr std::size_t max_sid_length = 64;  ///< a Message SID is 34 characters

std::string field(form_fields const& f, std::string_view name) {
  for (auto const& [k, v] : f)
    if (k == name) return v;
  return {};
}

channels::outbound_request messages_post(twilio_whatsapp_config const& c, form_fields fields) {
  return {"POST",
          c.api_url + "/2010-04-01/Accounts/" + channels::percent_encode(c.account) + "/Messages.json",
          {{"Authorization", "Basic " + base64_encode(c.account + ":" + c.auth_token)}, {"Content-Type", "application/x-www-form-urlencoded"}},
          channels::form_encode(fields)};
}

} // namespace

notification_result read_twilio_whatsapp(form_fields const& form) {
  auto const from = field(form, "From");
  if (!from.starts_with(prefix)) return messenger_refusal{"From: not a whatsapp: address"};
  inbound_message m;
  m.via = "twilio";
  m.from = from.substr(prefix.size());
  m.id = field(form, "MessageSid");
  if (m.id.size() > max_sid_length) return messenger_refusal{"MessageSid: too long"};
  m.name = field(form, "ProfileName");
  m.text = field(form, "Body");
  if (auto const media = field(form, "NumMedia"); !media.empty() && media != "0") {
    m.media_type = "file";  // not fetched through Twilio: staff are told one came
    m.media_mime = field(form, "MediaContentType0").substr(0, 100);
  }
  auto checked = checked_whatsapp_message(std::move(m));
  if (!checked) return checked.error();
  whatsapp_notification out;
  out.messages.push_back(std::move(*checked));
  return out;
}

notification_result read_twilio_whatsapp_status(form_fields const& query, form_fields const& form) {
  outbound_status s;
  s.case_id = field(query, "case");
  s.message_id = field(query, "message");
  if (!is_ulid(s.case_id) || !is_ulid(s.message_id)) return messenger_refusal{"case, message: not Balie's ids"};
  auto const status = field(form, "MessageStatus");
  whatsapp_notification out;
  if (status == "queued" || status == "accepted" || status == "sending" || status == "scheduled") return out;  // not yet anything to show
  if (status == "sent" || status == "delivered" || status == "read") s.status = status;
  else if (status == "failed" || status == "undelivered") s.status = "failed";
  else return messenger_refusal{"MessageStatus: unknown"};
  s.platform_id = field(form, "MessageSid").substr(0, max_sid_length);
  s.detail = "twilio " + status;
  if (auto const code = field(form, "ErrorCode"); !code.empty()) s.detail += " (error " + code.substr(0, 10) + ")";
  out.statuses.push_back(std::move(s));
  return out;
}

std::string twilio_status_url(std::string const& public_base, std::string const& case_id, std::string const& message_id) {
  return public_base + "/api/v1/webhooks/messenger/twilio/status?" + channels::form_encode({{"case", case_id}, {"message", message_id}});
}

channels::outbound_request twilio_text_request(twilio_whatsapp_config const& c, std::string const& to, std::string const& text,
                                               std::string const& status_url) {
  return messages_post(c, {{"To", "whatsapp:" + to}, {"From", "whatsapp:" + c.from}, {"Body", text}, {"StatusCallback", status_url}});
}

channels::outbound_request twilio_template_request(twilio_whatsapp_config const& c, std::string const& to, std::string const& case_reference,
                                                   std::string const& status_url) {
  return messages_post(c, {{"To", "whatsapp:" + to},
                           {"From", "whatsapp:" + c.from},
                           {"ContentSid", c.content_sid},
                           {"ContentVariables", json{{"1", case_reference}}.dump()},
                           {"StatusCallback", status_url}});
}

send_answer read_twilio_answer(channels::outbound_answer const& a) {
  using k = send_answer::kind;
  if (a.status == 0) return {k::retry, "", "no answer from Twilio: " + a.transport};
  auto const body = json::parse(a.body, nullptr, false);
  long long code = 0;
  if (body.is_object())
    if (auto const c = body.find("code"); c != body.end() && c->is_number_integer()) code = c->get<long long>();
  auto const detail = "twilio " + std::to_string(a.status) + (code ? " (error " + std::to_string(code) + ")" : "");
  auto const wait = std::chrono::duration_cast<std::chrono::milliseconds>(channels::retry_after_seconds(a.retry_after));
  if (a.status >= 200 && a.status < 300) {
    auto const sid = json_fields::text(body, "sid");
    if (!sid.empty() && sid.size() <= max_sid_length) return {k::accepted, sid, ""};
    return {k::retry, "", "twilio " + std::to_string(a.status) + " without a message SID"};
  }
  if (code == 63016) return {k::outside_window, "", detail};
  // 20003: the account or its token was refused.
  if (a.status == 401 || a.status == 403 || code == 20003) return {k::bad_credentials, "", detail};
  if (a.status == 408 || a.status == 429 || a.status >= 500 || code == 20429) return {k::retry, "", detail, wait};
  return {k::failed, "", detail};  // 21211 a wrong number, 63003 not on WhatsApp: never better on a retry
}

} // namespace balie::messenger
