#pragma once
// The resident's address behind a reverse proxy. Per-address limits and the
// connection share count residents, so the address must be the resident's,
// not the proxy's, and must not be one a stranger can choose. A forwarding
// header is believed only when the connection comes from a configured proxy,
// and then only as far as the chain of configured proxies reaches: walking
// X-Forwarded-For (or Forwarded's `for=`) from the right, the first address
// that is not a trusted proxy is the client; anything to its left was written
// by that client and is ignored. A malformed entry ends the walk at the last
// trusted hop, so a broken header never yields a chosen address.

#include <string>
#include <string_view>
#include <vector>

namespace balie::server {

class trusted_proxies {
public:
  trusted_proxies() = default;
  /// Each entry an address or a network ("10.0.0.0/8", "fd00::/8", "127.0.0.1").
  /// Throws std::invalid_argument naming the first entry that is neither.
  explicit trusted_proxies(std::vector<std::string> const& entries);

  bool empty() const { return networks_.empty(); }
  bool contains(std::string_view address) const;
  /// `peer` is the socket's peer; the two headers as received (empty if absent).
  std::string client(std::string const& peer, std::string_view x_forwarded_for, std::string_view forwarded) const;

private:
  struct network {
    std::string bytes;  ///< 4 or 16 address bytes
    unsigned prefix;
  };
  std::vector<network> networks_;
};

} // namespace balie::server
