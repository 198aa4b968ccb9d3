#pragma once
// Bearer tokens. The tokens file holds only SHA-256 hashes of tokens, each
// with a role and, for staff, the inboxes they may see. A presented token is
// hashed and compared with every entry in constant time, so neither timing
// nor an early exit tells which entry almost matched.

#include "channels/text.hpp"

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace balie::gateway {

enum class role { staff, admin, system };
std::string_view to_string(role);

struct principal {
  std::string name;  ///< who, for audit and logs (not the token)
  gateway::role role = role::staff;
  std::vector<std::string> inboxes;  ///< staff only
  bool may_see(std::string const& inbox) const;
};

class token_store {
public:
  /// Throws config_error on a malformed file.
  static token_store load(std::filesystem::path const&);
  std::optional<principal> authenticate(std::string_view token) const;
  std::size_t size() const { return entries_.size(); }

private:
  struct entry {
    std::array<unsigned char, 32> hash;
    principal who;
  };
  std::vector<entry> entries_;
};

/// Token files hold this digest of each token (channels/text.hpp).
using balie::sha256_hex;

/// `bytes` random bytes (OpenSSL's CSPRNG) written in `alphabet`, whose size
/// is 16, 32 or 64 (4, 5 or 6 bits per character). Throws when the CSPRNG fails.
std::string random_text(std::size_t bytes, std::string_view alphabet);

} // namespace balie::gateway
