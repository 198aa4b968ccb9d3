#pragma once
// Failed token checks per address. Guessing tokens, staff or chat session
// ones, gets 429 after a few dozen failures a minute, whatever the endpoint.

#include "server/address_limits.hpp"
#include "server/http_message.hpp"

#include <string_view>

namespace balie::server {

class failed_logins {
public:
  /// 429 with Retry-After when this address failed too often lately; true if answered.
  bool refuse_if_guessing(http_request const&, http_responder&);
  /// A failed token check: counts against the address, answers 401 with WWW-Authenticate.
  void unauthorized(http_request const&, http_responder&, std::string_view detail, std::string_view type = "unauthorized");

private:
  /// A person mistyping a token fails a few times; a script fails thousands of times.
  address_limiter limit_{30, std::chrono::seconds(60)};
};

} // namespace balie::server
