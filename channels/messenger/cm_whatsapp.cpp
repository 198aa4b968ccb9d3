#include "channels/messenger/cm_whatsapp.hpp"

#include "channels/addresses.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

namespace balie::messenger {
namespace {

using json = nlohmann::json;

/// A member of an object, or null.
json const* member(json const* j, char const* name) {
  if (!j || !j->is_object()) return nullptr;
  auto const it = j->find(name);
  return it == j->end() ? nullptr : &*it;
}

std::string text_at(json const& j, char const* object, char const* field) {
  auto const* o = member(&j, object);
  return o ? json_fields::text(*o, field) : std::string{};
}

/// CM writes numbers as 0031…; E.164 without its plus, after 00.
std::string cm_number(std::string const& e164) { return "00" + e164.substr(e164.starts_with('+') ? 1 : 0); }

json cm_body(std::string const& token, json msg) {
  return {{"messages", {{"authentication", {{"producttoken", token}}}, {"msg", json::array({std::move(msg)})}}}};
}

} // namespace

notification_result read_cm_whatsapp(std::string_view body) {
  auto const j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return messenger_refusal{"body: not a JSON object"};
  if (ascii_lower(json_fields::text(j, "channel")) != "whatsapp") return messenger_refusal{"channel: not WhatsApp"};
  auto const number = read_phone_number(text_at(j, "from", "number"));
  if (number.error != phone_number::problem::none) return messenger_refusal{"from.number: not a WhatsApp number"};
  inbound_message m;
  m.via = "cm";
  m.from = number.e164;
  m.name = text_at(j, "from", "name");
  m.id = json_fields::text(j, "reference");
  m.text = text_at(j, "message", "text");
  if (member(member(&j, "message"), "media")) m.media_type = "file";  // not fetched through CM: staff are told one came
  // CM writes UTC without a zone: "2025-11-28T09:00:00".
  if (auto sent = json_fields::text(j, "timeUtc"); !sent.empty()) {
    if (sent.back() != 'Z') sent += 'Z';
    m.sent_at = parse_rfc3339(sent);
    if (!m.sent_at) return messenger_refusal{"timeUtc: not a time"};
  }
  auto checked = checked_whatsapp_message(std::move(m));
  if (!checked) return checked.error();
  whatsapp_notification out;
  out.messages.push_back(std::move(*checked));
  return out;
}

notification_result read_cm_whatsapp_status(std::string_view body) {
  auto const j = json::parse(body, nullptr, false);
  auto const* msg = member(member(&j, "messages"), "msg");
  if (!msg || !msg->is_object()) return messenger_refusal{"body: not a CM status report"};
  std::string code;
  if (auto const* c = member(member(msg, "status"), "code")) {
    if (c->is_string()) code = c->get<std::string>();
    else if (c->is_number_integer()) code = std::to_string(c->get<long long>());
  }
  outbound_status s;
  // 0 accepted by the operator, 1 rejected, 2 delivered, 3 failed, 4 read (not for SMS).
  if (code == "0") s.status = "sent";
  else if (code == "2") s.status = "delivered";
  else if (code == "4") s.status = "read";
  else if (code == "1" || code == "3") s.status = "failed";
  else return messenger_refusal{"status.code: unknown"};
  s.detail = "cm status " + code;
  if (auto const error = member(member(msg, "status"), "errorCode"); error && (error->is_number_integer() || error->is_string()))
    s.detail += " (error " + (error->is_string() ? error->get<std::string>().substr(0, 10) : std::to_string(error->get<long long>())) + ")";
  if (auto const ref = from_callback_data(json_fields::text(*msg, "reference"))) s.case_id = ref->first, s.message_id = ref->second;
  whatsapp_notification out;
  out.statuses.push_back(std::move(s));
  return out;
}

channels::outbound_request cm_text_request(cm_whatsapp_config const& c, std::string const& to, std::string const& text,
                                           std::string const& reference) {
  json msg = {{"from", cm_number(c.from)},
              {"to", json::array({{{"number", cm_number(to)}}})},
              {"body", {{"type", "auto"}, {"content", text}}},
              {"allowedChannels", json::array({"WhatsApp"})},
              {"reference", reference}};
  return {"POST", c.api_url + "/v1.0/message", {{"Content-Type", "application/json"}}, cm_body(c.product_token, std::move(msg)).dump()};
}

channels::outbound_request cm_template_request(whatsapp_config const& w, std::string const& to, std::string const& case_reference,
                                               std::string const& reference) {
  auto shown = w.template_text;
  if (auto const at = shown.find("{{1}}"); at != std::string::npos) shown.replace(at, 5, case_reference);
  json const parameters = json::array({{{"type", "text"}, {"text", case_reference}}});
  json const whatsapp = {{"namespace", w.cm.template_namespace},
                         {"element_name", w.template_name},
                         {"language", {{"policy", "deterministic"}, {"code", w.template_language}}},
                         {"components", json::array({{{"type", "body"}, {"parameters", parameters}}})}};
  json msg = {{"from", cm_number(w.cm.from)},
              {"to", json::array({{{"number", cm_number(to)}}})},
              {"body", {{"type", "auto"}, {"content", shown}}},
              {"allowedChannels", json::array({"WhatsApp"})},
              {"reference", reference},
              {"richContent", {{"conversation", json::array({{{"template", {{"whatsapp", whatsapp}}}}})}}}};
  return {"POST", w.cm.api_url + "/v1.0/message", {{"Content-Type", "application/json"}}, cm_body(w.cm.product_token, std::move(msg)).dump()};
}

send_answer read_cm_answer(channels::outbound_answer const& a) {
  using k = send_answer::kind;
  if (a.status == 0) return {k::retry, "", "no answer from CM: " + a.transport};
  auto const body = json::parse(a.body, nullptr, false);
  long long code = 0;
  if (auto const* e = member(&body, "errorCode"); e && e->is_number_integer()) code = e->get<long long>();
  auto const detail = "cm " + std::to_string(a.status) + (code ? " (error " + std::to_string(code) + ")" : "");
  auto const wait = std::chrono::duration_cast<std::chrono::milliseconds>(channels::retry_after_seconds(a.retry_after));
  if (a.status >= 200 && a.status < 300 && code == 0) return {k::accepted, "", ""};
  // 101: authentication failed; 103: the product token is wrong.
  if (a.status == 401 || a.status == 403 || code == 101 || code == 103) return {k::bad_credentials, "", detail};
  // 102: the account's balance is spent — the operator acts, the message waits.
  if (a.status == 408 || a.status == 429 || a.status >= 500 || code == 102) return {k::retry, "", detail, wait};
  return {k::failed, "", detail};  // a wrong number or a refused message: never better on a retry
}

} // namespace balie::messenger
