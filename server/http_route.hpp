#pragma once
// A route as a part of balied offers it to the HTTP API: method, a path
// pattern with {parameters}, who may call it, and the handler. The API does
// the rest for every route alike: matching, authentication, the body limit,
// the standard headers and the log line. Channels offer their resident and
// provider endpoints this way, so the API names no channel.

#include "server/http_message.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace balie::server {

/// Who may call a route: anyone (residents; the handler may check a session
/// token itself), or a bearer token of one role (`privacy`: the privacy
/// officer, for residents' rights; `records`: records staff, for retention).
enum class access { anyone, staff, admin, system, privacy, records };

/// The values of the pattern's {parameters}, in order.
using route_params = std::vector<std::string>;

struct http_route {
  std::string method;
  std::string pattern;  ///< e.g. /api/v1/cases/{id}
  access who = access::anyone;
  std::function<void(http_request const&, route_params const&, http_responder)> run;
};

/// Runs slow work (file reads, large JSON) elsewhere than the calling thread,
/// which may be a Redis connection's strand.
using offload_fn = std::function<void(std::function<void()>)>;

} // namespace balie::server
