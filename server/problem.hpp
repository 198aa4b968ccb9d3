#pragma once
// Responses in the shapes the NL API Design Rules ask for: JSON bodies,
// `application/problem+json` errors (RFC 9457) naming the offending field,
// and the headers every response carries.

#include "channels/rejection.hpp"
#include "server/http_message.hpp"

#include <nlohmann/json.hpp>

namespace balie::server {

inline constexpr std::string_view api_version = "1.0.0";

http_response problem(unsigned status, std::string_view type, std::string_view detail, std::string_view pointer = {});
http_response problem(rejection const&);

struct invalid_param {
  std::string name;
  std::string reason;
};
/// 400 `invalid-request` naming every offending field (NL API Design Rules' invalid-params).
http_response invalid_request(std::string_view detail, std::vector<invalid_param> const&);
http_response json_response(unsigned status, nlohmann::json const&);

/// How long a sender should wait before trying again, in seconds (Retry-After):
/// a Redis reconnect takes at most a few backoff steps; a switched-off channel
/// is an admin decision that will not change within seconds.
inline constexpr std::string_view retry_after_unavailable = "5";
inline constexpr std::string_view retry_after_channel_off = "60";

/// 503 with Retry-After: nothing was stored, send again later.
http_response unavailable(std::string_view type, std::string_view detail,
                          std::string_view retry_after = retry_after_unavailable);

/// 503: the case store (Redis) did not answer; nothing changed, try again in a moment.
http_response store_unavailable();

/// API-Version and the security headers; applied to every response.
void add_standard_headers(http_response&);

} // namespace balie::server
