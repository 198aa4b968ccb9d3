#pragma once
// Who really sent a webhook: the checks every channel's provider endpoints
// share. Each runs over the bytes as received, before anything is parsed or
// stored, and compares in constant time. A failure names the check that
// failed, for the log; the caller answers 401/403 without it.
//
//   Twilio   X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + each
//            posted field's name and value, sorted by name)); with webhook
//            rules HMAC-SHA256 and a shared key. A proxy may add or drop the
//            default port, so both forms of the URL are tried. (SMS and
//            WhatsApp through Twilio.)
//   Meta     X-Hub-Signature-256: "sha256=" hex(HMAC-SHA256(app secret, raw
//            body)) (WhatsApp Cloud API).
//   Secrets  a secret in the path, a header or a bearer token: same_secret.

#include <boost/system/result.hpp>

#include <openssl/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace balie::channels {

/// Form fields as posted, decoded, in the order they came.
using form_fields = std::vector<std::pair<std::string, std::string>>;

/// Why a webhook was not believed: the check, never a secret or a body.
struct auth_failure {
  std::string reason;
};

/// Believed; with the replay key when the scheme has one (MessageBird's jti).
struct authenticated {
  std::string replay_key;
};

using auth_result = boost::system::result<authenticated, auth_failure>;

enum class twilio_hash { sha1, sha256 };

auth_result verify_twilio(twilio_hash, std::string_view key, std::string_view url, form_fields const&, std::string_view signature);

/// Meta's X-Hub-Signature-256 over the raw body.
auth_result verify_meta(std::string_view app_secret, std::string_view body, std::string_view signature);

/// Equal, in time that does not depend on where they differ.
bool same_secret(std::string_view given, std::string_view expected);

/// `%XX` and `+` decoded; fails on a broken escape or text that is not UTF-8.
boost::system::result<form_fields, auth_failure> parse_form(std::string_view body);

/// Every byte but A-Z a-z 0-9 - . _ ~ as %XX (RFC 3986 unreserved).
std::string percent_encode(std::string_view);
/// `application/x-www-form-urlencoded`, fields in the given order: parse_form's inverse.
std::string form_encode(form_fields const&);

/// A base64 signature as sent against the raw one computed: decoded first, so only bytes are compared.
bool signature_matches(std::string_view sent_base64, std::string const& computed);

/// The raw HMAC of `data` under `key` with `md`.
std::string hmac(EVP_MD const* md, std::string_view key, std::string_view data);

/// Standard or URL-safe alphabet, padding optional; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view);

} // namespace balie::channels
