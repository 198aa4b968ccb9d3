#include "channels/sms/webhook_auth.hpp"

#include "channels/json_fields.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace balie::sms {
namespace {

/// JWT times are whole seconds; a sender's clock a little off is not an attack.
constexpr std::chrono::seconds jwt_leeway{5};
/// A JWT time past this (the year 36812) is no time: refused before it can overflow the clock.
constexpr long long max_jwt_seconds = 1LL << 40;

std::string hmac(EVP_MD const* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char const*>(out), len);
}

std::string sha256_raw(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<char const*>(digest), sizeof digest);
}

/// Standard or URL-safe alphabet, padding optional; nullopt on anything else.
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

/// The signature as sent against the one computed: decoded first, so only bytes are compared.
bool signature_matches(std::string_view sent_base64, std::string const& computed) {
  auto const sent = base64_decode(sent_base64);
  return sent && same_secret(*sent, computed);
}

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

bool same_secret(std::string_view given, std::string_view expected) {
  // The length is no secret worth hiding (every provider's is public); the contents are.
  return given.size() == expected.size() && !expected.empty() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
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

auth_result verify_bird(std::string_view key, std::string_view url, std::string_view body, std::string_view timestamp,
                        std::string_view signature, std::chrono::system_clock::time_point now, std::chrono::seconds window) {
  if (signature.empty() || timestamp.empty()) return auth_failure{"no signature or timestamp"};
  long long seconds = 0;
  auto const [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (ec != std::errc{} || end != timestamp.data() + timestamp.size()) return auth_failure{"the timestamp is not a number"};
  auto const sent = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  // The window first: a stale or replayed request costs no HMAC.
  if (sent < now - window || sent > now + window) return auth_failure{"the timestamp is outside the window"};
  auto const data = std::string(timestamp) + "\n" + std::string(url) + "\n" + sha256_raw(body);
  if (!signature_matches(signature, hmac(EVP_sha256(), key, data))) return auth_failure{"the signature does not match"};
  return authenticated{};
}

auth_result verify_messagebird_jwt(std::string_view key, std::string_view url, std::string_view body, std::string_view jwt,
                                   std::chrono::system_clock::time_point now) {
  if (jwt.empty()) return auth_failure{"no signature"};
  auto const dot1 = jwt.find('.');
  auto const dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) return auth_failure{"not a JWT"};
  auto const header_text = base64_decode(jwt.substr(0, dot1));
  auto const claims_text = base64_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto const sent = base64_decode(jwt.substr(dot2 + 1));
  if (!header_text || !claims_text || !sent) return auth_failure{"not a JWT"};
  auto const header = nlohmann::json::parse(*header_text, nullptr, false);
  auto const claims = nlohmann::json::parse(*claims_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return auth_failure{"not a JWT"};
  auto const alg = json_fields::text(header, "alg");
  EVP_MD const* md = alg == "HS256" ? EVP_sha256() : alg == "HS384" ? EVP_sha384() : alg == "HS512" ? EVP_sha512() : nullptr;
  if (!md) return auth_failure{"the signing method is not HS256, HS384 or HS512"};
  if (!same_secret(*sent, hmac(md, key, jwt.substr(0, dot2)))) return auth_failure{"the signature does not match"};
  // Signed by the key holder from here on; the claims say for which request and when.
  if (json_fields::text(claims, "iss") != "MessageBird") return auth_failure{"the issuer is not MessageBird"};
  auto const at = [&claims](char const* name) -> std::optional<std::chrono::system_clock::time_point> {
    auto const it = claims.find(name);
    if (it == claims.end() || !it->is_number_integer()) return std::nullopt;
    // nlohmann reads a number without a sign as unsigned: take it as such, bounded first.
    if (it->is_number_unsigned() && it->get<unsigned long long>() > static_cast<unsigned long long>(max_jwt_seconds)) return std::nullopt;
    auto const seconds = it->get<long long>();
    if (seconds < 0 || seconds > max_jwt_seconds) return std::nullopt;
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  };
  auto const nbf = at("nbf"), exp = at("exp");
  if (!nbf || !exp) return auth_failure{"nbf or exp is missing or not a time"};
  if (*nbf > now + jwt_leeway) return auth_failure{"nbf is in the future"};
  if (*exp < now - jwt_leeway) return auth_failure{"exp is in the past"};
  auto const jti = json_fields::text(claims, "jti");
  if (jti.empty()) return auth_failure{"jti is missing"};
  if (!same_secret(json_fields::text(claims, "url_hash"), sha256_hex(url))) return auth_failure{"url_hash does not match"};
  auto const payload_hash = claims.find("payload_hash");
  if (body.empty() && payload_hash != claims.end()) return auth_failure{"payload_hash is set but there is no body"};
  if (!body.empty()) {
    if (payload_hash == claims.end() || !payload_hash->is_string()) return auth_failure{"payload_hash is missing"};
    if (!same_secret(payload_hash->get<std::string>(), sha256_hex(body))) return auth_failure{"payload_hash does not match"};
  }
  return authenticated{jti};
}

} // namespace balie::sms
