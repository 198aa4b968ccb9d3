#pragma once
// Writes the acknowledgement of a new case (channels/acknowledgement.hpp)
// from the resource texts: the reference, the answer-by day in words
// ("uiterlijk dinsdag 8 december"), what is special (written outside opening
// hours, or to a channel an admin switched off, with the admin's notice) and
// the human route (phone, counter, Teletolk). Letters for email, web chat and
// messenger; one or two SMS parts for SMS.

#include "channels/acknowledgement.hpp"
#include "channels/resident_texts.hpp"

#include <memory>

namespace balie::gateway {

channels::acknowledgement_writer acknowledgement_writer_for(std::shared_ptr<channels::resident_texts const>);

} // namespace balie::gateway
