#pragma once
// A caller who asked to be called back and whose mobile number is known gets
// the acknowledgement by SMS: the case reference, when they will be called at
// the latest, and the human route. It wraps the sink every transcript goes
// through (the endpoint and the spool alike), and sends only when SMS replies
// can leave and the number has not opted out; the transcript is durable
// before, whatever becomes of the SMS.

#include "channels/channel_module.hpp"
#include "channels/inbound_sink.hpp"
#include "queue/sms_numbers.hpp"

namespace balie::channels::phone {

class callback_acknowledging_sink final : public inbound_sink {
public:
  callback_acknowledging_sink(inbound_sink& inner, channel_services&);
  void submit(case_message, std::string dedup_key, submit_handler, submit_options = {}) override;

private:
  void acknowledge(std::string const& number, std::string const& language, submit_result const&);

  inbound_sink& inner_;
  channel_services& services_;
  queue::sms_numbers numbers_;  ///< opt-outs: a number that sent STOP gets nothing
};

/// A Dutch mobile number in E.164 (+316 and eight digits): one an SMS reaches.
bool is_dutch_mobile(std::string_view e164);

} // namespace balie::channels::phone
