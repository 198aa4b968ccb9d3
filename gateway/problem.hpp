#pragma once
// Responses in the shapes the NL API Design Rules ask for: JSON bodies,
// `application/problem+json` errors (RFC 9457) naming the offending field,
// and the headers every response carries.

#include "channels/rejection.hpp"
#include "gateway/http_server.hpp"

#include <nlohmann/json.hpp>

namespace balie::gateway {

inline constexpr std::string_view api_version = "1.0.0";

http_response problem(unsigned status, std::string_view type, std::string_view detail, std::string_view pointer = {});
http_response problem(rejection const&);
http_response json_response(unsigned status, nlohmann::json const&);

/// API-Version and the security headers; applied to every response.
void add_standard_headers(http_response&);

} // namespace balie::gateway
