#include "channels/sms/delivery_reports.hpp"

#include "channels/ids.hpp"
#include "channels/json_fields.hpp"

#include <nlohmann/json.hpp>

namespace balie::sms {
namespace {

std::string field(form_fields const& f, std::string_view name) {
  for (auto const& [k, v] : f)
    if (k == name) return v;
  return {};
}

boost::system::result<outbound_ref, sms_refusal> ref_of(form_fields const& query) {
  outbound_ref r{field(query, "case"), field(query, "message")};
  if (!is_ulid(r.case_id) || !is_ulid(r.message_id)) return sms_refusal{"case, message: not Balie's ids"};
  return r;
}

/// A member of a JSON object; null when `j` is null, not an object, or has no such member.
nlohmann::json const* member(nlohmann::json const* j, char const* name) {
  if (!j || !j->is_object()) return nullptr;
  auto const it = j->find(name);
  return it == j->end() ? nullptr : &*it;
}

} // namespace

report_result read_kannel_report(form_fields const& query) {
  auto ref = ref_of(query);
  if (!ref) return ref.error();
  auto const type = field(query, "type");
  // 1 delivered to the phone, 2 not delivered, 4 queued on the SMSC, 8 the SMSC has it, 16 the SMSC refused it.
  std::string status;
  if (type == "1") status = "delivered";
  else if (type == "2" || type == "16") status = "failed";
  else if (type == "4" || type == "8") status = "sent";
  else return sms_refusal{"type: not a Kannel report type"};
  return delivery_report{*ref, status, "kannel report " + type};
}

report_result read_twilio_report(form_fields const& query, form_fields const& form) {
  auto ref = ref_of(query);
  if (!ref) return ref.error();
  auto const s = field(form, "MessageStatus");
  if (s.empty()) return sms_refusal{"MessageStatus: missing"};
  std::string status;
  if (s == "sent") status = "sent";
  else if (s == "delivered" || s == "read") status = "delivered";
  else if (s == "failed" || s == "undelivered") status = "failed";
  else if (s != "queued" && s != "accepted" && s != "sending" && s != "scheduled") return sms_refusal{"MessageStatus: unknown"};
  auto const code = field(form, "ErrorCode");
  auto detail = "twilio " + s.substr(0, 20);
  if (!code.empty()) detail += " (error " + code.substr(0, 10) + ")";
  return delivery_report{*ref, status, detail};
}

report_result read_cm_report(std::string_view json) {
  auto const j = nlohmann::json::parse(json, nullptr, false);
  auto const* msg = member(member(&j, "messages"), "msg");
  if (!msg || !msg->is_object()) return sms_refusal{"body: not a CM status report"};
  auto const ref = from_cm_reference(json_fields::text(*msg, "reference"));
  if (!ref) return sms_refusal{"reference: not Balie's"};
  std::string code;
  if (auto const* c = member(member(msg, "status"), "code")) {
    if (c->is_string()) code = c->get<std::string>();
    else if (c->is_number_integer()) code = std::to_string(c->get<long long>());
  }
  std::string status;
  if (code == "0") status = "sent";
  else if (code == "2") status = "delivered";
  else if (code == "1" || code == "3") status = "failed";
  else return sms_refusal{"status.code: unknown"};
  return delivery_report{*ref, status, "cm status " + code};
}

report_result read_bird_report(std::string_view json) {
  auto const j = nlohmann::json::parse(json, nullptr, false);
  auto const* event = member(&j, "payload") ? member(&j, "payload") : &j;
  auto const ref = from_cm_reference(json_fields::text(*event, "reference"));
  if (!ref) return sms_refusal{"reference: not Balie's"};
  auto const s = json_fields::text(*event, "status");
  std::string status;
  if (s == "delivered") status = "delivered";
  else if (s == "sent") status = "sent";
  else if (s == "delivery_failed" || s == "failed" || s == "rejected" || s == "expired") status = "failed";
  else if (s != "accepted" && s != "processing" && s != "scheduled") return sms_refusal{"status: unknown"};
  return delivery_report{*ref, status, "bird " + s.substr(0, 20)};
}

report_result read_messagebird_report(form_fields const& query) {
  auto const ref = from_cm_reference(field(query, "reference"));
  if (!ref) return sms_refusal{"reference: not Balie's"};
  auto const s = field(query, "status");
  std::string status;
  if (s == "delivered") status = "delivered";
  else if (s == "sent" || s == "buffered") status = "sent";
  else if (s == "delivery_failed" || s == "expired") status = "failed";
  else if (s != "scheduled") return sms_refusal{"status: unknown"};
  return delivery_report{*ref, status, "messagebird " + s.substr(0, 20)};
}

} // namespace balie::sms
