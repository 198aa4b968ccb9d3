#include "channels/phone/callback_acknowledgement.hpp"

#include "channels/automatic_message.hpp"
#include "channels/ids.hpp"
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "server/log.hpp"

#include <algorithm>

namespace balie::channels::phone {
using namespace server;

bool is_dutch_mobile(std::string_view n) {
  return n.size() == 12 && n.starts_with("+316") && std::all_of(n.begin() + 1, n.end(), [](char c) { return c >= '0' && c <= '9'; });
}

callback_acknowledging_sink::callback_acknowledging_sink(inbound_sink& inner, channel_services& s) : inner_(inner), services_(s), numbers_(s.redis) {}

void callback_acknowledging_sink::submit(case_message m, std::string dedup_key, submit_handler handler, submit_options options) {
  std::string number;
  if (std::find(m.resident.needs.begin(), m.resident.needs.end(), resident_need::callback) != m.resident.needs.end())
    for (auto const& a : m.resident.addresses)
      if (a.kind == "phone" && is_dutch_mobile(a.value)) number = a.value;
  if (number.empty() || !services_.acknowledgement || !services_.can_send || !services_.can_send(channel::sms))
    return inner_.submit(std::move(m), std::move(dedup_key), std::move(handler), std::move(options));
  auto const language = m.resident.language == "eng" ? "en" : "nl";
  inner_.submit(std::move(m), std::move(dedup_key),
                [this, number, language, handler = std::move(handler)](boost::system::error_code ec, submit_result r) {
                  if (!ec && r.status == submit_status::stored && r.created && r.answer_by) acknowledge(number, language, r);
                  handler(ec, std::move(r));
                },
                std::move(options));
}

void callback_acknowledging_sink::acknowledge(std::string const& number, std::string const& language, submit_result const& stored) {
  acknowledgement_request req;
  req.form = acknowledgement_form::short_text;
  req.language = language;
  req.reference = stored.reference;
  req.answer_by = stored.answer_by;
  req.outside_hours = stored.outside_hours;
  auto const written = services_.acknowledgement(req);
  auto const now = services_.clock();
  auto m = automatic_message(stored, channel::sms, written.text, written.rule, now, services_.ids.ulid(now));
  m.resident.addresses.push_back({"phone", number});
  auto const json = to_json(m);
  auto const message = json.dump();
  auto const delivery = json["delivery"].dump();
  numbers_.opted_out(number, [this, number, case_id = stored.case_id, id = m.id, message, delivery](
                                                            boost::system::error_code ec, bool opted_out) {
    if (ec || opted_out) return;
    queue::automatic_request req_out{case_id, id, "sms", message, delivery, queue::keys::sms_automatic(number), services_.automatic.limit,
                                     services_.automatic.period};
    services_.workflow.queue_automatic(req_out, [case_id](boost::system::error_code ec, queue::action_result r) {
      if (ec) log::warn("phone.acknowledgement_not_queued", {{"case_id", case_id}, {"error", ec.message()}});
      else if (r.status == queue::action_status::limited) log::info("phone.acknowledgement_limited", {{"case_id", case_id}});
    });
  });
}

} // namespace balie::channels::phone
