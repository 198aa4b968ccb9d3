#include "server/client_address.hpp"

#include "channels/text.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>

#include <charconv>
#include <optional>
#include <stdexcept>

namespace balie::server {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    auto const end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::optional<boost::asio::ip::address> parse_address(std::string_view s) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(s), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped())  // "::ffff:192.0.2.1" is 192.0.2.1
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

std::string address_bytes(boost::asio::ip::address const& a) {
  if (a.is_v4()) {
    auto const b = a.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  auto const b = a.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

bool prefix_equal(std::string const& a, std::string const& b, unsigned prefix) {
  if (a.size() != b.size()) return false;
  for (unsigned i = 0; i < prefix; ++i) {
    auto const bit = 0x80u >> (i % 8);
    if ((static_cast<unsigned char>(a[i / 8]) & bit) != (static_cast<unsigned char>(b[i / 8]) & bit)) return false;
  }
  return true;
}

/// One element of Forwarded (RFC 7239): its `for=` value without quotes,
/// brackets or port; "unknown" and obfuscated identifiers stay as they are
/// (they parse as no address, which ends the walk).
std::string forwarded_for(std::string_view element) {
  for (auto pair : split(element, ';')) {
    pair = trim(pair);
    auto const eq = pair.find('=');
    if (eq == std::string_view::npos || ascii_lower(trim(pair.substr(0, eq))) != "for") continue;
    auto v = trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (!v.empty() && v.front() == '[') {  // "[2001:db8::1]:4711"
      auto const close = v.find(']');
      return std::string(close == std::string_view::npos ? v : v.substr(1, close - 1));
    }
    if (auto const colon = v.find(':'); colon != std::string_view::npos && v.find(':', colon + 1) == std::string_view::npos)
      v = v.substr(0, colon);  // "192.0.2.43:47011"
    return std::string(v);
  }
  return {};
}

} // namespace

trusted_proxies::trusted_proxies(std::vector<std::string> const& entries) {
  for (auto const& e : entries) {
    auto const slash = e.find('/');
    auto const a = parse_address(std::string_view(e).substr(0, slash));
    if (!a) throw std::invalid_argument(e);
    network n{address_bytes(*a), static_cast<unsigned>(a->is_v4() ? 32 : 128)};
    if (slash != std::string::npos) {
      auto const digits = std::string_view(e).substr(slash + 1);
      unsigned prefix = 0;
      auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || prefix > n.prefix)
        throw std::invalid_argument(e);
      n.prefix = prefix;
    }
    networks_.push_back(std::move(n));
  }
}

bool trusted_proxies::contains(std::string_view address) const {
  auto const a = parse_address(trim(address));
  if (!a) return false;
  auto const bytes = address_bytes(*a);
  for (auto const& n : networks_)
    if (prefix_equal(bytes, n.bytes, n.prefix)) return true;
  return false;
}

std::string trusted_proxies::client(std::string const& peer, std::string_view x_forwarded_for, std::string_view forwarded) const {
  if (!contains(peer)) return peer;
  std::vector<std::string> chain;  // nearest hop last
  if (!forwarded.empty())
    for (auto element : split(forwarded, ',')) chain.push_back(forwarded_for(element));
  else
    for (auto entry : split(x_forwarded_for, ',')) chain.emplace_back(trim(entry));
  auto client = peer;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    auto const a = parse_address(*it);
    if (!a) break;  // malformed: the last trusted hop is as far as we know
    client = a->to_string();
    if (!contains(client)) break;
  }
  return client;
}

} // namespace balie::server
