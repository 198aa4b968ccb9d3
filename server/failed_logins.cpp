#include "server/failed_logins.hpp"

#include "server/problem.hpp"

namespace balie::server {

bool failed_logins::refuse_if_guessing(http_request const& req, http_responder& respond) {
  auto const now = std::chrono::steady_clock::now();
  if (!limit_.exhausted(req.remote_address, now)) return false;
  auto r = problem(429, "too-many-failed-logins", "Too many wrong tokens from your address. Wait a minute and try again.");
  r.headers.emplace_back("Retry-After", std::to_string(limit_.retry_after(req.remote_address, now)));
  respond(std::move(r));
  return true;
}

void failed_logins::unauthorized(http_request const& req, http_responder& respond, std::string_view detail, std::string_view type) {
  limit_.allow(req.remote_address, std::chrono::steady_clock::now());
  auto r = problem(401, type, detail);
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  respond(std::move(r));
}

} // namespace balie::server
