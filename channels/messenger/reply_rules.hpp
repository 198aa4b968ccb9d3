#pragma once
// What a messenger reply may be, checked before it is queued (the channel's
// reply check) and again before it leaves. On WhatsApp the government's
// policy forbids asking for a BSN (VNG/IBD DPIA): a reply that names the BSN
// or holds a number passing the 11-proef is refused. And WhatsApp takes free
// text only within 24 hours of the resident's last message; after that only
// an approved template. Pure functions; the clock is a parameter.

#include "channels/time_format.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace balie::messenger {

/// WhatsApp's customer-service window after a resident's message.
inline constexpr std::chrono::hours whatsapp_window{24};

/// The text names the BSN (BSN, burgerservicenummer) or holds a number that passes the 11-proef.
bool mentions_bsn(std::string_view text);

/// Whether free text may go now, given the resident's last message (none known: closed).
bool window_open(std::optional<timestamp> last_inbound, timestamp now);

} // namespace balie::messenger
