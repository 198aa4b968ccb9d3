#pragma once
// An outbound message Balie writes by itself on a case (an acknowledgement, a
// notice, an SMS confirmation): Balie's own words, marked auto_generated so
// that it leaves while the channel is switched off and staff see it labelled,
// answering the resident's message, waiting in the channel's outbox as
// `queued`. The channel adds the resident's address (and a subject).

#include "channels/case_message.hpp"
#include "channels/inbound_sink.hpp"

namespace balie::channels {

case_message automatic_message(submit_result const& stored, balie::channel, std::string text, std::string rule, timestamp now,
                               std::string id);

} // namespace balie::channels
