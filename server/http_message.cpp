#include "server/http_message.hpp"

#include "channels/text.hpp"

namespace balie::server {

std::string http_request::header(std::string_view name) const {
  for (auto const& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::optional<std::string> bearer_token(http_request const& req) {
  auto const h = req.header("authorization");
  if (h.size() < 7 || ascii_lower(std::string_view(h).substr(0, 7)) != "bearer ") return std::nullopt;
  return std::string(trim(std::string_view(h).substr(7)));
}

} // namespace balie::server
