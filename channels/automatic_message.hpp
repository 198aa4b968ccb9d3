#pragma once
// An outbound message Balie writes by itself on a case (an acknowledgement, a
// notice, an SMS confirmation): Balie's own words, marked auto_generated so
// that it leaves while the channel is switched off and staff see it labelled,
// answering the resident's message, waiting in the channel's outbox as
// `queued`. The channel adds the resident's address (and a subject).

#include "channels/case_message.hpp"
#include "channels/acknowledgement.hpp"
#include "channels/inbound_sink.hpp"

namespace balie::channels {

case_message automatic_message(submit_result const& stored, balie::channel, std::string text, std::string rule, timestamp now,
                               std::string id);

/// What the short acknowledgement (an SMS, a messenger) of a stored message says; while the channel is
/// switched off, with the admin's notice.
acknowledgement_request short_acknowledgement(submit_result const& stored, std::optional<std::string> switched_off_notice);

} // namespace balie::channels
