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
using channels::base64_decode;
using channels::hmac;
using channels::signature_matches;
namespace {

/// JWT times are whole seconds; a sender's clock a little off is not an attack.
constexpr std::chrono::seconds jwt_leeway{5};
/// A JWT time past this (the year 36812) is no time: refused before it can overflow the clock.
constexpr long long max_jwt_seconds = 1LL << 40;

std::string sha256_raw(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<char const*>(digest), sizeof digest);
}

} // namespace

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
