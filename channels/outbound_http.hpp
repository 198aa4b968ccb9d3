#pragma once
// One blocking HTTP call to a provider's API with libcurl (an SMS provider,
// the WhatsApp Cloud API, a Matrix homeserver), bounded by a timeout and
// abandoned when `cancelled` turns true (shutdown). Senders run it on a
// thread of their own, so a provider that hangs holds only that thread: no
// network thread, no other channel waits for it. The call is a parameter of
// every sender, so tests can put a fake in its place.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace balie::channels {

struct outbound_request {
  std::string method;  ///< GET, POST or PUT
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::size_t max_answer = std::size_t{64} * 1024;  ///< a longer answer is cut here and marked `too_large`
};

struct outbound_answer {
  long status = 0;        ///< 0: no HTTP answer
  std::string body;       ///< at most the request's max_answer
  std::string transport;  ///< why there was no answer
  bool too_large = false;
  std::string content_type;
  std::string retry_after;  ///< the Retry-After header, as sent
};

using outbound_call = std::function<outbound_answer(outbound_request const&, std::chrono::seconds timeout, std::atomic<bool> const& cancelled)>;

outbound_answer call_with_curl(outbound_request const&, std::chrono::seconds timeout, std::atomic<bool> const& cancelled);

/// Seconds to wait from a Retry-After header (seconds, not an HTTP date); 0 when there is none.
inline std::chrono::seconds retry_after_seconds(std::string const& header, std::chrono::seconds cap = std::chrono::seconds(3600)) {
  long long s = 0;
  auto const [end, ec] = std::from_chars(header.data(), header.data() + header.size(), s);
  if (ec != std::errc{} || end != header.data() + header.size() || s < 0) return std::chrono::seconds(0);
  return std::min(std::chrono::seconds(s), cap);
}

} // namespace balie::channels
