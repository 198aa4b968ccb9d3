#pragma once
// Bearer tokens. The tokens file holds only SHA-256 hashes of tokens, each
// with a role and, for staff, the inboxes they may see. A presented token is
// hashed and compared with every entry in constant time, so neither timing
// nor an early exit tells which entry almost matched.

#include "channels/text.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace balie::gateway {

enum class role { staff, admin, system, privacy, records };
std::string_view to_string(role);

struct principal {
  std::string name;  ///< who, for audit and logs (not the token)
  gateway::role role = role::staff;
  std::vector<std::string> inboxes;  ///< staff only
  /// Staff only: inboxes (of `inboxes`) whose confidential cases this holder may read. A confidential case
  /// (a possible BSN, or marked so) shows everyone else in its inbox that it exists, never what it says.
  std::vector<std::string> confidential_inboxes;
  std::array<unsigned char, 32> token_hash{};  ///< which entry authenticated it (a hash, as in the file)
  bool may_see(std::string const& inbox) const;
  bool may_read_confidential(std::string const& inbox) const;
};

class token_store {
public:
  /// Throws config_error on a malformed file.
  static token_store load(std::filesystem::path const&);
  std::optional<principal> authenticate(std::string_view token) const;
  /// Whether this store still grants all that `who` was granted: the same
  /// token, role and name, and every inbox (a reload that removes or narrows
  /// a token ends what its holder has open).
  bool still_grants(principal const& who) const;
  std::size_t size() const { return entries_.size(); }
  /// The names of the staff who may work in `inbox`, sorted, each once.
  std::vector<std::string> staff_of(std::string const& inbox) const;

private:
  struct entry {
    std::array<unsigned char, 32> hash;
    principal who;
  };
  std::vector<entry> entries_;
};

/// Token files hold this digest of each token (channels/text.hpp).
using balie::sha256_hex;

/// Random bytes in a token `make_token` mints: 256 bits. Tokens made by hand
/// must be at least as strong; the file holds only hashes, so Balie cannot check.
inline constexpr std::size_t token_bytes = 32;

struct new_token {
  std::string token;     ///< shown once to the operator, stored nowhere
  nlohmann::json entry;  ///< the tokens-file entry: name, sha256, role, inboxes
};
/// A strong token and its tokens-file entry (`balied --new-token`). Throws config_error on bad arguments.
new_token make_token(std::string const& name, std::string_view role, std::vector<std::string> const& inboxes);


} // namespace balie::gateway
