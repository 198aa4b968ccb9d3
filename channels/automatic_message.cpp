#include "channels/automatic_message.hpp"

namespace balie::channels {

case_message automatic_message(submit_result const& stored, balie::channel via, std::string text, std::string rule, timestamp now,
                               std::string id) {
  case_message m;
  m.id = std::move(id);
  m.case_id = stored.case_id;
  m.reference = stored.reference;
  m.direction = direction::outbound;
  m.channel = via;
  m.provider = "balie";
  m.provider_message_id = m.id;
  m.occurred_at = m.received_at = now;
  m.text = std::move(text);
  m.auto_generated = true;
  m.in_reply_to = stored.message_id;
  m.routing = routing_info{stored.inbox, priority::normal, std::nullopt, std::move(rule)};
  m.delivery = delivery_info{"queued", 0, std::nullopt, now};
  return m;
}

acknowledgement_request short_acknowledgement(submit_result const& stored, std::optional<std::string> switched_off_notice) {
  acknowledgement_request req;
  req.form = acknowledgement_form::short_text;
  req.reference = stored.reference;
  req.answer_by = stored.answer_by;
  req.outside_hours = stored.outside_hours;
  req.switched_off_notice = std::move(switched_off_notice);
  return req;
}

} // namespace balie::channels
