#include "channels/webhook_signatures.hpp"

#include "channels/text.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace balie::channels {
namespace {

/// The URL with the scheme's default port written out, or taken away when it is there.
std::optional<std::string> other_port_form(std::string_view url) {
  auto const scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  auto const scheme = url.substr(0, scheme_end);
  auto const port = scheme == "https" ? std::string_view(":443") : scheme == "http" ? std::string_view(":80") : std::string_view();
  if (port.empty()) return std::nullopt;
  auto const host_start = scheme_end + 3;
  auto const host_end = std::min(url.find_first_of("/?#", host_start), url.size());
  auto const authority = url.substr(host_start, host_end - host_start);
  std::string out(url.substr(0, host_start));
  if (authority.size() > port.size() && authority.substr(authority.size() - port.size()) == port)
    out += authority.substr(0, authority.size() - port.size());
  else if (authority.find(':') == std::string_view::npos)
    out += std::string(authority) + std::string(port);
  else
    return std::nullopt;  // another port: no other form
  out += url.substr(host_end);
  return out;
}

std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') out += ' ';
    else if (in[i] != '%') out += in[i];
    else {
      if (i + 2 >= in.size()) return std::nullopt;
      auto const hi = hex_digit_value(in[i + 1]), lo = hex_digit_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  if (!is_valid_utf8(out)) return std::nullopt;
  return out;
}

} // namespace

std::string hmac(EVP_MD const* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char const*>(out), len);
}

std::optional<std::string> base64_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char const c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    if (v < 0) return std::nullopt;
    value = (value << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return std::nullopt;  // a single leftover character encodes no byte
  return out;
}

bool signature_matches(std::string_view sent_base64, std::string const& computed) {
  auto const sent = base64_decode(sent_base64);
  return sent && same_secret(*sent, computed);
}

bool same_secret(std::string_view given, std::string_view expected) {
  // The length is no secret worth hiding (every provider's is public); the contents are.
  return given.size() == expected.size() && !expected.empty() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

std::string form_encode(form_fields const& fields) {
  std::string out;
  for (auto const& [k, v] : fields) out += (out.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  return out;
}

boost::system::result<form_fields, auth_failure> parse_form(std::string_view body) {
  form_fields fields;
  while (!body.empty()) {
    auto const amp = body.find('&');
    auto const pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto const eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return auth_failure{"the form is not validly encoded"};
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

auth_result verify_twilio(twilio_hash hash, std::string_view key, std::string_view url, form_fields const& fields, std::string_view signature) {
  if (signature.empty()) return auth_failure{"no signature"};
  auto sorted = fields;
  // By name; a name posted twice keeps its values in the order sent (a stable sort).
  std::stable_sort(sorted.begin(), sorted.end(), [](auto const& a, auto const& b) { return a.first < b.first; });
  std::string fields_part;
  for (auto const& [name, value] : sorted) fields_part += name + value;
  auto const* md = hash == twilio_hash::sha1 ? EVP_sha1() : EVP_sha256();
  if (signature_matches(signature, hmac(md, key, std::string(url) + fields_part))) return authenticated{};
  if (auto const other = other_port_form(url); other && signature_matches(signature, hmac(md, key, *other + fields_part)))
    return authenticated{};
  return auth_failure{"the signature does not match"};
}

auth_result verify_meta(std::string_view app_secret, std::string_view body, std::string_view signature) {
  constexpr std::string_view prefix = "sha256=";
  if (!signature.starts_with(prefix)) return auth_failure{"the signature is not sha256=<hex>"};
  auto const computed = hmac(EVP_sha256(), app_secret, body);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : computed) hex += {digits[c >> 4], digits[c & 15]};
  std::string sent(signature.substr(prefix.size()));
  for (auto& c : sent) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (app_secret.empty() || !same_secret(sent, hex)) return auth_failure{"the signature does not match"};
  return authenticated{};
}

} // namespace balie::channels
