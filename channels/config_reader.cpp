#include "channels/config_reader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>

namespace balie::channels {

/// The host of a scheme://[user@]host[:port]/... URL is this machine.
bool is_loopback_url(std::string_view url) {
  auto const start = url.find("://");
  if (start == std::string_view::npos) return false;
  auto rest = url.substr(start + 3);
  rest = rest.substr(0, rest.find('/'));
  if (auto const at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view host;
  if (rest.starts_with('[')) host = rest.substr(0, rest.find(']') + 1);
  else host = rest.substr(0, rest.find(':'));
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

/// An IPv4 or IPv6 address, optionally with a network prefix ("192.0.2.0/24").
bool is_address_or_network(std::string const& entry) {
  auto const slash = entry.find('/');
  auto const address = entry.substr(0, slash);
  unsigned char bytes[16];
  bool const v4 = inet_pton(AF_INET, address.c_str(), bytes) == 1;
  if (!v4 && inet_pton(AF_INET6, address.c_str(), bytes) != 1) return false;
  if (slash == std::string::npos) return true;
  unsigned prefix = 0;
  auto const* end = entry.data() + entry.size();
  auto const [p, ec] = std::from_chars(entry.data() + slash + 1, end, prefix);
  return ec == std::errc{} && p == end && slash + 1 < entry.size() && prefix <= (v4 ? 32u : 128u);
}

void fail(std::string const& path, std::string const& what) {
  auto const where = path.empty() ? std::string("/") : path;
  throw config_error("config: " + where + ": " + what, where, what);
}

/// A secret reference: {"env": "NAME"} or {"file": "path"}.
std::string read_secret(object_reader& r, std::filesystem::path const& base) {
  auto const env = r.text("env", "");
  auto const file = r.text("file", "");
  if (env.empty() == file.empty()) fail(r.path(), "give exactly one of 'env' or 'file'");
  if (!env.empty()) {
    char const* v = std::getenv(env.c_str());
    if (!v) fail(r.path() + "/env", "environment variable " + env + " is not set");
    return v;
  }
  std::ifstream in(base / file);
  if (!in) fail(r.path() + "/file", "cannot read the secret file");
  std::string s;
  std::getline(in, s);
  return s;
}

void check_identifier(std::string const& id, std::string const& path, std::string_view what) {
  auto const allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  if (id.empty() || id.size() > 63 || id[0] == '-' || !std::all_of(id.begin(), id.end(), allowed))
    fail(path, std::string(what) + " is 1-63 characters of a-z, 0-9 and '-'");
}

} // namespace balie::channels
