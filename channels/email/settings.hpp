#pragma once
// The email channel's section of the configuration (/channels/email), read
// and validated here so that the channel owns its settings.

#include "channels/config_reader.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace balie::email {

/// A hosted mailbox Balie polls over IMAP.
struct imap_mailbox_config {
  std::string name;        ///< [a-z0-9-]: logs, health and the cursor key
  std::string url;         ///< imap://host[:port]/FOLDER or imaps://...
  std::string username;
  std::string password;    ///< from a secret reference
  std::string inbox;       ///< where its mail lands
  std::string processed_folder;  ///< mail moves here once stored; empty: it is flagged \Seen and stays
  std::chrono::seconds poll{60};
  std::size_t batch = 50;  ///< messages fetched per round; catch-up runs round after round
  bool allow_plaintext = false;  ///< imap:// without TLS: only for a test server on loopback
  bool operator==(imap_mailbox_config const&) const = default;
};

struct email_config {
  bool enabled = false;
  /// Switched off by an admin: false (`defer`): LMTP answers 451 and the MTA keeps the
  /// mail, IMAP waits; true (`accept`): the mail is filed, marked received while
  /// switched off, and the resident gets the admin's notice.
  bool accept_while_off = false;
  std::string domain;  ///< Balie's mail domain: Message-IDs, reply tokens, bounce addresses
  /// Addresses delivered to Balie (lower case) and the inbox of each.
  std::vector<std::pair<std::string, std::string>> addresses;
  /// The address residents are offered (the chat widget lists it): one of `addresses`; default the first by name.
  std::string public_address;
  std::string bounce_local_part = "bounces";
  bool lmtp_enabled = true;
  std::string lmtp_address = "127.0.0.1";
  std::uint16_t lmtp_port = 2424;  ///< 0: any free port (tests)
  std::size_t max_message_bytes = 25 * 1024 * 1024;
  std::chrono::seconds lmtp_idle_timeout{300};
  std::size_t lmtp_max_connections = 100;
  std::size_t max_attachments = 100;
  std::size_t max_mime_depth = 64;
  std::filesystem::path attachment_dir;
  std::string smtp_url;       ///< the relay, smtp://host:port or smtps://; empty: replies wait
  std::string smtp_username;  ///< empty: no AUTH
  std::string smtp_password;
  bool smtp_require_tls = true;   ///< TLS (smtps:// or STARTTLS) or fail; false only for a relay on loopback
  std::chrono::seconds smtp_timeout{60};
  int max_send_attempts = 8;      ///< temporary failures, with backoff; then `failed`
  std::chrono::seconds smtp_retry_initial{60};  ///< the first wait after a temporary failure; doubles
  std::string from_name = "Gemeente";  ///< display name on Balie's mail
  std::vector<imap_mailbox_config> imap;
  bool acknowledge = true;        ///< an automatic "we received your mail" for a new case
  bool operator==(email_config const&) const = default;
};

/// Reads /channels/email; throws channels::config_error naming the key.
email_config read_email_config(channels::object_reader&, channels::config_context const&);

} // namespace balie::email
