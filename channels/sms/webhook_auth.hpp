#pragma once
// Who really sent an SMS webhook (CHANNELS.md 2.3). Every check runs over
// the bytes as received, before anything is parsed or stored, and compares
// in constant time; the clock is a parameter. A failure names the check that
// failed, for the log; the caller answers 401/403 without it.
//
//   Twilio       X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + each
//                posted field's name and value, sorted by name)); with webhook
//                rules HMAC-SHA256 and a shared key. A proxy may add or drop
//                the default port, so both forms of the URL are tried.
//   Bird         messagebird-signature: base64(HMAC-SHA256(signing key,
//                timestamp "\n" URL "\n" raw SHA-256 of the body)), the
//                timestamp within a window of now.
//   MessageBird  MessageBird-Signature-JWT: HS256/384/512 with the signing key;
//                issuer MessageBird, nbf/exp (a few seconds' leeway), url_hash,
//                payload_hash exactly when there is a body; the jti is handed
//                back so the caller can refuse a replay.
//   CM, Kannel   nothing signed: a secret in the path or a shared secret,
//                compared in constant time (same_secret).

#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace balie::sms {

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

auth_result verify_bird(std::string_view key, std::string_view url, std::string_view body, std::string_view timestamp,
                        std::string_view signature, std::chrono::system_clock::time_point now,
                        std::chrono::seconds window = std::chrono::seconds(300));

auth_result verify_messagebird_jwt(std::string_view key, std::string_view url, std::string_view body, std::string_view jwt,
                                   std::chrono::system_clock::time_point now);

/// Equal, in time that does not depend on where they differ.
bool same_secret(std::string_view given, std::string_view expected);

/// `%XX` and `+` decoded; fails on a broken escape or text that is not UTF-8.
boost::system::result<form_fields, auth_failure> parse_form(std::string_view body);

} // namespace balie::sms
