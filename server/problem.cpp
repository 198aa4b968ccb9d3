#include "server/problem.hpp"

namespace balie::server {
namespace {
std::string_view title(unsigned status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Server Error" : "Client Error";
  }
}
} // namespace

http_response problem(unsigned status, std::string_view type, std::string_view detail, std::string_view pointer) {
  nlohmann::json body = {{"type", "urn:balie:problem:" + std::string(type)},
                         {"title", title(status)},
                         {"status", status},
                         {"detail", detail}};
  if (!pointer.empty()) body["invalid-params"] = {{{"name", pointer}, {"reason", detail}}};
  http_response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = body.dump();
  add_standard_headers(r);
  return r;
}

http_response problem(rejection const& r) { return problem(r.status, r.type, r.detail, r.pointer); }

http_response unavailable(std::string_view type, std::string_view detail, std::string_view retry_after) {
  auto r = problem(503, type, detail);
  r.headers.emplace_back("Retry-After", std::string(retry_after));
  return r;
}

http_response invalid_request(std::string_view detail, std::vector<invalid_param> const& params) {
  auto r = problem(400, "invalid-request", detail);
  auto body = nlohmann::json::parse(r.body);
  body["invalid-params"] = nlohmann::json::array();
  for (auto const& p : params) body["invalid-params"].push_back({{"name", p.name}, {"reason", p.reason}});
  r.body = body.dump();
  return r;
}

http_response json_response(unsigned status, nlohmann::json const& body) {
  http_response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  add_standard_headers(r);
  return r;
}

void add_standard_headers(http_response& r) {
  for (auto const& [k, v] : std::initializer_list<std::pair<char const*, char const*>>{
           {"API-Version", "1.0.0"},
           {"X-Content-Type-Options", "nosniff"},
           {"X-Frame-Options", "DENY"},
           {"Referrer-Policy", "no-referrer"},
           {"Cache-Control", "no-store"},
           {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"}}) {
    bool present = false;
    for (auto const& h : r.headers) present = present || h.first == k;
    if (!present) r.headers.emplace_back(k, v);
  }
}

http_response store_unavailable() {
  return unavailable("temporarily-unavailable", "The case store cannot be reached right now. Try again in a moment.");
}

} // namespace balie::server
