#include "openklant/answers.hpp"

#include "channels/json_fields.hpp"

namespace balie::openklant {
using kind = api_result::kind;

api_result read_answer(channels::outbound_answer const& a, long expected, std::string const& what) {
  if (a.status == 0) return {kind::unavailable, {}, what + ": no answer (" + a.transport + ")"};
  auto body = nlohmann::json::parse(a.body, nullptr, false);
  if (a.status == expected) {
    if (a.too_large || body.is_discarded() || !body.is_object()) return {kind::unavailable, {}, what + ": an answer that is no JSON object"};
    return {kind::ok, std::move(body), ""};
  }
  auto const status = std::to_string(a.status);
  if (a.status == 400) {
    // Field names and codes say what to fix; reasons may repeat the value sent, so they stay out.
    std::string fields;
    if (body.is_object())
      if (auto const params = body.find("invalidParams"); params != body.end() && params->is_array())
        for (auto const& p : *params)
          fields += (fields.empty() ? "" : ", ") + json_fields::text(p, "name") + " (" + json_fields::text(p, "code") + ")";
    return {kind::refused, {}, what + ": Open Klant refused it (400)" + (fields.empty() ? std::string{} : ": " + fields)};
  }
  if (a.status == 401 || a.status == 403)
    return {kind::bad_credentials, {}, what + ": Open Klant refused Balie's token (" + status + "); check /openklant/token"};
  if (a.status == 404) return {kind::unavailable, {}, what + ": not found (404); check /openklant/url"};
  api_result r{kind::unavailable, {}, what + ": Open Klant answered " + status};
  if (a.status == 429) r.retry_after = channels::retry_after_seconds(a.retry_after);
  return r;
}

} // namespace balie::openklant
