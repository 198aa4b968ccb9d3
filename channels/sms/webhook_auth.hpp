#pragma once
// Who really sent an SMS webhook (CHANNELS.md 2.3). Every check runs over
// the bytes as received, before anything is parsed or stored, and compares
// in constant time; the clock is a parameter. A failure names the check that
// failed, for the log; the caller answers 401/403 without it.
//
//   Twilio       channels/webhook_signatures.hpp, shared with WhatsApp through Twilio.
//   Bird         messagebird-signature: base64(HMAC-SHA256(signing key,
//                timestamp "\n" URL "\n" raw SHA-256 of the body)), the
//                timestamp within a window of now.
//   MessageBird  MessageBird-Signature-JWT: HS256/384/512 with the signing key;
//                issuer MessageBird, nbf/exp (a few seconds' leeway), url_hash,
//                payload_hash exactly when there is a body; the jti is handed
//                back so the caller can refuse a replay.
//   CM, Kannel   nothing signed: a secret in the path or a shared secret,
//                compared in constant time (same_secret).

#include "channels/webhook_signatures.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace balie::sms {

using channels::auth_failure;
using channels::auth_result;
using channels::authenticated;
using channels::form_fields;
using channels::parse_form;
using channels::same_secret;
using channels::twilio_hash;
using channels::verify_twilio;

auth_result verify_bird(std::string_view key, std::string_view url, std::string_view body, std::string_view timestamp,
                        std::string_view signature, std::chrono::system_clock::time_point now,
                        std::chrono::seconds window = std::chrono::seconds(300));

auth_result verify_messagebird_jwt(std::string_view key, std::string_view url, std::string_view body, std::string_view jwt,
                                   std::chrono::system_clock::time_point now);

} // namespace balie::sms
