#include "gateway/tokens.hpp"

#include "channels/text.hpp"
#include "gateway/config.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>

namespace balie::gateway {

std::string_view to_string(role r) {
  switch (r) {
    case role::staff: return "staff";
    case role::admin: return "admin";
    case role::system: return "system";
    case role::privacy: return "privacy";
    case role::records: return "records";
  }
  return "unknown";
}

std::vector<std::string> token_store::staff_of(std::string const& inbox) const {
  std::vector<std::string> out;
  for (auto const& e : entries_)
    if (e.who.may_see(inbox)) out.push_back(e.who.name);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool principal::may_see(std::string const& inbox) const {
  return role == role::staff && std::find(inboxes.begin(), inboxes.end(), inbox) != inboxes.end();
}

bool principal::may_read_confidential(std::string const& inbox) const {
  return may_see(inbox) && std::find(confidential_inboxes.begin(), confidential_inboxes.end(), inbox) != confidential_inboxes.end();
}

token_store token_store::load(std::filesystem::path const& file) {
  std::ifstream in(file);
  if (!in) throw config_error("tokens: cannot read " + file.string());
  auto const j = nlohmann::json::parse(in, nullptr, false, true);
  if (j.is_discarded() || !j.is_object() || !j.contains("tokens") || !j["tokens"].is_array())
    throw config_error("tokens: " + file.string() + " must be an object with a 'tokens' list");
  token_store store;
  for (std::size_t i = 0; i < j["tokens"].size(); ++i) {
    auto const& t = j["tokens"][i];
    auto const where = "tokens: /tokens/" + std::to_string(i);
    if (!t.is_object()) throw config_error(where + ": expected an object");
    for (auto const& [k, _] : t.items())
      if (k != "name" && k != "sha256" && k != "role" && k != "inboxes" && k != "confidential_inboxes")
        throw config_error(where + "/" + k + ": unknown key");
    if (!t.contains("name") || !t["name"].is_string()) throw config_error(where + "/name: missing");
    if (!t.contains("sha256") || !t["sha256"].is_string() || t["sha256"].get<std::string>().size() != 64)
      throw config_error(where + "/sha256: expected 64 hex digits");
    entry e{};
    auto const hex = t["sha256"].get<std::string>();
    for (std::size_t b = 0; b < 32; ++b) {
      auto nibble = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw config_error(where + "/sha256: expected 64 hex digits");
      };
      e.hash[b] = static_cast<unsigned char>(nibble(hex[2 * b]) << 4 | nibble(hex[2 * b + 1]));
    }
    e.who.name = t["name"].get<std::string>();
    if (e.who.name.empty()) throw config_error(where + "/name: must not be empty");
    for (auto const& other : store.entries_)  // audit lines name the holder: names must be unique
      if (other.who.name == e.who.name) throw config_error(where + "/name: '" + e.who.name + "' is used by another token");
    auto const r = t.contains("role") && t["role"].is_string() ? t["role"].get<std::string>() : std::string{};
    if (r == "staff") e.who.role = role::staff;
    else if (r == "admin") e.who.role = role::admin;
    else if (r == "system") e.who.role = role::system;
    else if (r == "privacy") e.who.role = role::privacy;
    else if (r == "records") e.who.role = role::records;
    else throw config_error(where + "/role: expected staff, admin, system, privacy or records");
    if (t.contains("inboxes")) {
      if (!t["inboxes"].is_array()) throw config_error(where + "/inboxes: expected a list");
      for (auto const& inbox : t["inboxes"]) {
        if (!inbox.is_string()) throw config_error(where + "/inboxes: expected inbox ids");
        e.who.inboxes.push_back(inbox.get<std::string>());
      }
    }
    if (t.contains("confidential_inboxes")) {
      if (!t["confidential_inboxes"].is_array()) throw config_error(where + "/confidential_inboxes: expected a list");
      for (auto const& inbox : t["confidential_inboxes"]) {
        if (!inbox.is_string() || !e.who.may_see(inbox.get<std::string>()))
          throw config_error(where + "/confidential_inboxes: expected inbox ids of this staff token's inboxes");
        e.who.confidential_inboxes.push_back(inbox.get<std::string>());
      }
    }
    store.entries_.push_back(std::move(e));
  }
  return store;
}

new_token make_token(std::string const& name, std::string_view role_name, std::vector<std::string> const& inboxes) {
  if (name.empty()) throw config_error("new token: give the holder's name");
  if (role_name != "staff" && role_name != "admin" && role_name != "system" && role_name != "privacy" && role_name != "records")
    throw config_error("new token: the role is staff, admin, system, privacy or records");
  if (role_name == "staff" && inboxes.empty()) throw config_error("new token: a staff token needs at least one inbox");
  if (role_name != "staff" && !inboxes.empty()) throw config_error("new token: only staff tokens have inboxes");
  new_token t;
  // 32 bytes from the CSPRNG: 256 bits, in 43 URL-safe characters.
  t.token = random_text(token_bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
  t.entry = {{"name", name}, {"sha256", sha256_hex(t.token)}, {"role", role_name}};
  if (!inboxes.empty()) t.entry["inboxes"] = inboxes;
  return t;
}

std::optional<principal> token_store::authenticate(std::string_view token) const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(token.data()), token.size(), digest);
  entry const* match = nullptr;
  for (auto const& e : entries_)  // no early exit: every entry is compared
    if (CRYPTO_memcmp(e.hash.data(), digest, sizeof digest) == 0) match = &e;
  if (!match || token.empty()) return std::nullopt;
  auto who = match->who;
  who.token_hash = match->hash;
  return who;
}

bool token_store::still_grants(principal const& who) const {
  for (auto const& e : entries_) {
    if (e.hash != who.token_hash) continue;
    if (e.who.name != who.name || e.who.role != who.role) return false;
    return std::ranges::all_of(who.inboxes, [&](std::string const& inbox) { return e.who.may_see(inbox); }) &&
           std::ranges::all_of(who.confidential_inboxes, [&](std::string const& inbox) { return e.who.may_read_confidential(inbox); });
  }
  return false;
}

} // namespace balie::gateway
