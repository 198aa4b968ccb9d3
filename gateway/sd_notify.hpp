#pragma once
// systemd's readiness protocol (Type=notify), without linking libsystemd:
// one datagram to $NOTIFY_SOCKET. A no-op when not started by systemd.

#include <string_view>

namespace balie::gateway {

void sd_notify(std::string_view state);

} // namespace balie::gateway
