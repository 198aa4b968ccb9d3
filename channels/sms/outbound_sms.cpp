#include "channels/sms/outbound_sms.hpp"

#include "channels/ids.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

namespace balie::sms {
namespace {

/// `scheme://` + `user:password@` + the rest: how Kannel passes a password to a URL it calls.
std::string with_userinfo(std::string const& url, std::string_view user, std::string_view password) {
  auto const at = url.find("://");
  if (at == std::string::npos) return url;
  return url.substr(0, at + 3) + percent_encode(user) + ":" + percent_encode(password) + "@" + url.substr(at + 3);
}

} // namespace

std::string status_url(std::string_view public_base, std::string_view provider, outbound_ref const& ref) {
  return std::string(public_base) + "/api/v1/webhooks/sms/" + std::string(provider) + "/status?" +
         form_encode({{"case", ref.case_id}, {"message", ref.message_id}});
}

provider_request kannel_request(provider_config const& p, std::string const& to, std::string const& text, bool ucs2,
                                int max_segments, std::string const& dlr_url) {
  // Kannel calls the dlr-url itself; the shared secret travels as its password, %d stays for Kannel to fill.
  auto const dlr = with_userinfo(dlr_url, "kannel", p.webhook_secret) + "&type=%d";
  form_fields const q{{"username", p.account}, {"password", p.api_secret}, {"from", p.from}, {"to", to},
                      {"text", text}, {"charset", "UTF-8"}, {"coding", ucs2 ? "2" : "0"},
                      {"max-messages", std::to_string(max_segments)}, {"dlr-mask", "31"}, {"dlr-url", dlr}};
  return {"GET", p.api_url + (p.api_url.find('?') == std::string::npos ? "?" : "&") + form_encode(q), {}, {}};
}

provider_request twilio_request(provider_config const& p, std::string const& to, std::string const& text, std::string const& status_callback) {
  provider_request r{"POST", p.api_url + "/2010-04-01/Accounts/" + percent_encode(p.account) + "/Messages.json", {}, {}};
  r.headers.emplace_back("Authorization", "Basic " + base64_encode(p.account + ":" + p.api_secret));
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = form_encode({{"To", to}, {"From", p.from}, {"Body", text}, {"StatusCallback", status_callback}});
  return r;
}

std::string cm_reference(outbound_ref const& ref) { return ref.case_id + "." + ref.message_id; }

std::optional<outbound_ref> from_cm_reference(std::string_view s) {
  auto const dot = s.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  outbound_ref r{std::string(s.substr(0, dot)), std::string(s.substr(dot + 1))};
  if (!is_ulid(r.case_id) || !is_ulid(r.message_id)) return std::nullopt;
  return r;
}

provider_request cm_request(provider_config const& p, std::string const& to, std::string const& text, outbound_ref const& ref, int max_segments) {
  nlohmann::json const msg = {{"from", p.from},
                              {"to", nlohmann::json::array({{{"number", to}}})},
                              {"body", {{"type", "auto"}, {"content", text}}},
                              {"reference", cm_reference(ref)},
                              {"minimumNumberOfMessageParts", 1},
                              {"maximumNumberOfMessageParts", max_segments}};
  nlohmann::json const body = {{"messages", {{"authentication", {{"producttoken", p.api_secret}}}, {"msg", nlohmann::json::array({msg})}}}};
  provider_request r{"POST", p.api_url + "/v1.0/message", {{"Content-Type", "application/json"}}, body.dump()};
  return r;
}

provider_request bird_request(provider_config const& p, std::string const& to, std::string const& text, outbound_ref const& ref) {
  nlohmann::json const body = {{"receiver", {{"contacts", nlohmann::json::array({{{"identifierValue", to}}})}}},
                               {"body", {{"type", "text"}, {"text", {{"text", text}}}}},
                               {"reference", cm_reference(ref)}};
  return {"POST", p.api_url + "/messages", {{"Authorization", "AccessKey " + p.api_secret}, {"Content-Type", "application/json"}}, body.dump()};
}

provider_request messagebird_request(provider_config const& p, std::string const& to, std::string const& text, outbound_ref const& ref,
                                     std::string const& report_url) {
  // MessageBird writes numbers without the plus.
  nlohmann::json const body = {{"originator", p.from},     {"recipients", nlohmann::json::array({to.substr(to.rfind('+') + 1)})},
                               {"body", text},             {"reference", cm_reference(ref)},
                               {"reportUrl", report_url},  {"datacoding", "auto"}};
  return {"POST", p.api_url + "/messages", {{"Authorization", "AccessKey " + p.api_secret}, {"Content-Type", "application/json"}}, body.dump()};
}

send_answer read_send_answer(std::string_view provider, long status, std::string_view body, std::string const& transport) {
  using k = send_answer::kind;
  if (status == 0) return {k::retry, "no answer: " + transport};
  // A short excerpt of the provider's own words: codes, never the text sent.
  auto const said = std::string(body.substr(0, 200));
  auto const detail = std::string(provider) + " answered " + std::to_string(status) + (said.empty() ? "" : ": " + said);
  if (status >= 200 && status < 300) return {k::accepted, detail};
  if (status == 401 || status == 403) return {k::bad_credentials, detail};
  if (status == 408 || status == 429 || status >= 500) return {k::retry, detail};
  return {k::failed, detail};  // the request itself is wrong (an invalid number): sending again will not help
}

} // namespace balie::sms
