#pragma once
// The SMS channel's section of the configuration (/channels/sms), read and
// validated here so that the channel owns its settings. Each provider is one
// entry under `providers`: its webhook secret (every secret from a file or
// the environment) and, for the one that sends (`send_via`), how to reach
// its API.

#include "channels/config_reader.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace balie::sms {

/// The providers Balie speaks to, as they appear in URLs and switches (`sms/<name>`).
inline constexpr char const* provider_names[] = {"twilio", "bird", "messagebird", "cm", "kannel"};

struct provider_config {
  bool enabled = true;
  /// Who may post: Twilio's auth token, Bird's and MessageBird's signing key,
  /// CM's secret path segment, Kannel's shared secret (its post-url's password).
  std::string webhook_secret;
  bool twilio_sha256 = false;              ///< Twilio webhook rules: HMAC-SHA256 instead of SHA1
  std::vector<std::string> allowed_sources;  ///< CM: the addresses its webhooks come from
  // Sending (only the provider named by send_via needs these).
  std::string api_url;   ///< Kannel's sendsms URL; Twilio's, CM's and MessageBird's API base; Bird's channel URL
  std::string account;   ///< Twilio's account SID; Kannel's sendsms user
  std::string api_secret;  ///< Twilio's auth token (default: webhook_secret); CM's product token; Bird's and MessageBird's access key; Kannel's sendsms password
  std::string from;      ///< the sender: a number or an alphanumeric name
  bool operator==(provider_config const&) const = default;
};

struct sms_config {
  bool enabled = false;
  /// Balie's address as providers see it (behind a proxy): signatures cover it, status callbacks go to it.
  std::string public_base_url;
  std::map<std::string, provider_config> providers;
  std::string send_via;  ///< the provider replies leave through; empty: replies wait in the outbox
  std::string inbox;     ///< where SMS lands; empty: the routing section decides
  std::string public_number;  ///< the number or short code residents text, as the chat widget lists it; empty: not listed
  std::chrono::seconds thread_window{7 * 24 * 3600};  ///< a number's message joins its case this long after its last contact
  bool acknowledge = true;  ///< an automatic SMS with the reference for a new case
  int max_segments = 6;     ///< longer replies are refused (the staff section's sms_max_segments)
  bool allow_links = false; ///< replies with a web address are refused unless allowed (phishing looks the same)
  std::size_t messages_per_number = 20;  ///< per number per window; then 429, or merged where the provider retries for ever
  std::chrono::seconds number_window{600};
  double provider_per_second = 50;  ///< webhooks per provider, sustained; then 429 (the provider retries)
  double provider_burst = 500;
  std::chrono::seconds send_timeout{15};  ///< one call to the provider's API
  int max_send_attempts = 8;
  std::chrono::seconds retry_initial{30};
  int breaker_failures = 5;                ///< failures in a row that open the provider's circuit
  std::chrono::seconds breaker_cooldown{60};
  bool operator==(sms_config const&) const = default;
};

/// Reads /channels/sms; throws channels::config_error naming the key.
sms_config read_sms_config(channels::object_reader&, channels::config_context const&);

} // namespace balie::sms
