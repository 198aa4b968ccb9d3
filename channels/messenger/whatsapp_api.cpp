#include "channels/messenger/whatsapp_api.hpp"

#include "channels/json_fields.hpp"

#include <nlohmann/json.hpp>

namespace balie::messenger {
namespace {

using json = nlohmann::json;

channels::outbound_request graph_post(whatsapp_config const& c, json body) {
  return {"POST", c.graph_url + "/" + c.phone_number_id + "/messages",
          {{"Authorization", "Bearer " + c.access_token}, {"Content-Type", "application/json"}}, body.dump()};
}

std::string digits(std::string const& e164) { return e164.starts_with('+') ? e164.substr(1) : e164; }

long long error_code(json const& body) {
  auto const e = body.is_object() ? body.find("error") : body.end();
  if (!body.is_object() || e == body.end() || !e->is_object()) return 0;
  auto const c = e->find("code");
  return c != e->end() && c->is_number_integer() ? c->get<long long>() : 0;
}

} // namespace

channels::outbound_request whatsapp_text_request(whatsapp_config const& c, std::string const& to, std::string const& text,
                                                 std::string const& callback) {
  return graph_post(c, {{"messaging_product", "whatsapp"},
                        {"recipient_type", "individual"},
                        {"to", digits(to)},
                        {"type", "text"},
                        {"text", {{"preview_url", false}, {"body", text}}},
                        {"biz_opaque_callback_data", callback}});
}

channels::outbound_request whatsapp_template_request(whatsapp_config const& c, std::string const& to, std::string const& reference,
                                                     std::string const& callback) {
  json const parameters = json::array({{{"type", "text"}, {"text", reference}}});
  return graph_post(c, {{"messaging_product", "whatsapp"},
                        {"to", digits(to)},
                        {"type", "template"},
                        {"template",
                         {{"name", c.template_name},
                          {"language", {{"code", c.template_language}}},
                          {"components", json::array({{{"type", "body"}, {"parameters", parameters}}})}}},
                        {"biz_opaque_callback_data", callback}});
}

send_answer read_whatsapp_answer(channels::outbound_answer const& a) {
  using k = send_answer::kind;
  if (a.status == 0) return {k::retry, "", "no answer from the Graph API: " + a.transport};
  auto const body = json::parse(a.body, nullptr, false);
  auto const code = error_code(body);
  auto const detail = "graph " + std::to_string(a.status) + (code ? " (error " + std::to_string(code) + ")" : "");
  auto const wait = std::chrono::duration_cast<std::chrono::milliseconds>(channels::retry_after_seconds(a.retry_after));
  if (a.status >= 200 && a.status < 300) {
    auto const messages = body.is_object() ? body.find("messages") : body.end();
    if (body.is_object() && messages != body.end() && messages->is_array() && !messages->empty()) {
      auto id = json_fields::text((*messages)[0], "id");
      if (!id.empty() && id.size() <= 200) return {k::accepted, id, ""};
    }
    return {k::retry, "", "graph " + std::to_string(a.status) + " without a message id"};
  }
  if (code == 131047) return {k::outside_window, "", detail};
  // 190: the access token expired or was revoked; 10 and 200: a permission taken away.
  if (a.status == 401 || code == 190 || code == 10 || code == 200) return {k::bad_credentials, "", detail};
  // Rate limits: the app's (4, 80007), the number's (130429), pair and spam limits (131056, 131048).
  if (a.status == 429 || code == 4 || code == 80007 || code == 130429 || code == 131056 || code == 131048)
    return {k::retry, "", detail, wait};
  if (a.status >= 500 || code == 131000 || code == 2 || code == 1) return {k::retry, "", detail, wait};
  return {k::failed, "", detail};  // 131026 undeliverable, 131051 unsupported, 100 a bad parameter: never better on a retry
}

} // namespace balie::messenger
