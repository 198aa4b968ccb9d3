#pragma once
// The messenger channel's section of the configuration (/channels/messenger):
// WhatsApp (through Meta's Cloud API, or through CM.com or Twilio as the
// municipality's provider) and Matrix as an application service, each optional and each a part an admin switches on its own
// (`messenger/whatsapp`, `messenger/matrix`). The channel is off unless an
// admin enables it; WhatsApp cannot be configured without the reference of
// the DPIA that allows it. Every secret is read from a file or the environment.

#include "channels/config_reader.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace balie::messenger {

/// WhatsApp through CM.com: its webhooks are JSON, signed by nothing (a secret path segment and its source addresses).
struct cm_whatsapp_config {
  bool configured = false;
  std::string path_secret;                   ///< the secret segment of both webhook URLs
  std::vector<std::string> allowed_sources;  ///< the addresses CM posts from
  std::string api_url = "https://gw.messaging.cm.com";
  std::string product_token;       ///< empty: replies do not go through CM
  std::string from;                ///< the municipality's WhatsApp number at CM, E.164
  std::string template_namespace;  ///< the approved template's namespace at Meta, as CM asks for it
  bool operator==(cm_whatsapp_config const&) const = default;
};

/// WhatsApp through Twilio: `whatsapp:+31…` addresses, X-Twilio-Signature over every webhook.
struct twilio_whatsapp_config {
  bool configured = false;
  std::string auth_token;  ///< signs Twilio's webhooks and authenticates Balie's calls
  bool sha256 = false;     ///< Twilio's webhook rules: HMAC-SHA256
  std::string api_url = "https://api.twilio.com";
  std::string account;      ///< the account SID; empty: replies do not go through Twilio
  std::string from;         ///< the municipality's WhatsApp sender, E.164
  std::string content_sid;  ///< the approved template as Twilio's Content API names it (HX…)
  bool operator==(twilio_whatsapp_config const&) const = default;
};

struct whatsapp_config {
  bool configured = false;
  bool enabled = true;  ///< the part's switch at start-up
  /// Who carries Balie's replies: cloud (Meta's Cloud API), cm or twilio. Every configured one's webhooks are open,
  /// so statuses of messages sent before a change of provider still arrive.
  std::string via = "cloud";
  bool cloud = false;        ///< Meta's own webhook is configured (the fields below)
  std::string app_secret;    ///< signs Meta's webhooks (X-Hub-Signature-256)
  std::string verify_token;  ///< the subscription handshake's token
  std::string access_token;  ///< Balie's own token for the Graph API
  std::string graph_url = "https://graph.facebook.com/v21.0";
  std::string phone_number_id;  ///< the municipality's WhatsApp number at Meta
  std::string dpia_reference;   ///< the DPIA that allows WhatsApp here; shown to admins
  std::string public_number;    ///< the number residents write to (E.164), as the chat widget lists it; default: the provider's `from`
  std::string template_name;    ///< the approved template for a reply outside the 24-hour window; empty: none
  std::string template_language = "nl";
  /// The template's approved wording as Meta holds it, `{{1}}` where the case reference goes: shown on the case.
  std::string template_text;
  cm_whatsapp_config cm;
  twilio_whatsapp_config twilio;
  bool operator==(whatsapp_config const&) const = default;
};

struct matrix_config {
  bool configured = false;
  bool enabled = true;
  std::string homeserver_url;  ///< the client-server API, e.g. https://matrix.gemeente.test
  std::string server_name;     ///< the part after ':' in user ids
  std::string hs_token;        ///< the homeserver's token to Balie
  std::string as_token;        ///< Balie's token to the homeserver
  std::filesystem::path hs_token_file, as_token_file;  ///< where baliectl writes fresh tokens
  std::string appservice_id = "balie";
  std::string sender_localpart = "balie";  ///< Balie's bot: @balie:server
  std::string user_prefix = "balie_";      ///< Balie's namespace: @balie_…:server
  std::string bot() const { return "@" + sender_localpart + ":" + server_name; }
  bool operator==(matrix_config const&) const = default;
};

struct messenger_config {
  bool enabled = false;
  std::string public_base_url;  ///< Balie as the homeserver reaches it (the registration's url)
  std::string inbox;            ///< where messenger messages land; empty: routing decides
  whatsapp_config whatsapp;
  matrix_config matrix;
  std::chrono::seconds thread_window{7 * 24 * 3600};  ///< a resident's message joins their case this long after its last contact
  std::chrono::seconds send_timeout{15};
  int max_send_attempts = 8;
  std::chrono::seconds retry_initial{30};
  int breaker_failures = 5;
  std::chrono::seconds breaker_cooldown{60};
  std::filesystem::path attachment_dir;  ///< where files residents send are kept (content-addressed)
  std::size_t max_file_bytes = std::size_t{16} * 1024 * 1024;  ///< a larger file is not fetched; staff are told
  double per_second = 50;  ///< webhooks/transactions per platform, sustained; then 429 (both retry)
  double burst = 500;
  bool operator==(messenger_config const&) const = default;
};

/// Reads /channels/messenger; throws channels::config_error naming the key.
messenger_config read_messenger_config(channels::object_reader&, channels::config_context const&);

} // namespace balie::messenger
