#pragma once
// One blocking HTTP call to an SMS provider's API with libcurl, bounded by a
// timeout and abandoned when `cancelled` turns true (shutdown). The sender
// runs it on a thread of its own, so a provider that hangs holds only that
// thread: no network thread, no other channel waits for it.

#include "channels/sms/outbound_sms.hpp"

#include <atomic>
#include <chrono>
#include <functional>

namespace balie::sms {

struct provider_response {
  long status = 0;        ///< 0: no HTTP answer
  std::string body;       ///< at most 64 KiB
  std::string transport;  ///< why there was no answer
};

using provider_call = std::function<provider_response(provider_request const&, std::chrono::seconds timeout, std::atomic<bool> const& cancelled)>;

provider_response call_with_curl(provider_request const&, std::chrono::seconds timeout, std::atomic<bool> const& cancelled);

} // namespace balie::sms
