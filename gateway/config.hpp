#pragma once
// balied's configuration: JSON with comments, validated strictly at load so
// that a typo stops start-up with the key's path instead of being ignored.
// Secrets are never in this file: it names environment variables or files.

#include "queue/redis_connection.hpp"
#include "routing/router.hpp"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace balie::gateway {

struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct http_config {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t max_header_bytes = 16 * 1024;       ///< generous for bearer tokens and trace headers
  std::size_t max_body_bytes = 5 * 1024 * 1024;   ///< the largest endpoint's limit (transcripts)
  std::chrono::milliseconds read_timeout{15'000}; ///< a whole request, header and body
  std::chrono::milliseconds idle_timeout{60'000}; ///< keep-alive wait for the next request
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 512;  ///< one address's share; trusted proxies have none
  /// Reverse proxies whose X-Forwarded-For/Forwarded is believed (gateway/client_address.hpp).
  std::vector<std::string> trusted_proxies;
  bool operator==(http_config const&) const = default;
};

struct inbox_config {
  std::string id;    ///< [a-z0-9-], used in keys and URLs
  std::string name;  ///< shown to staff
  bool operator==(inbox_config const&) const = default;
};

struct phone_config {
  bool enabled = true;
  std::filesystem::path spool_dir;  ///< empty: no spool directory
  std::chrono::milliseconds spool_poll{500};
  std::size_t max_transcript_bytes = 5 * 1024 * 1024;
  bool operator==(phone_config const&) const = default;
};

/// One day's chat opening hours, local time ("09:00"-"17:00"), minutes since midnight.
struct opening_window {
  int from_minute = 0;
  int to_minute = 0;
  bool operator==(opening_window const&) const = default;
};

struct webchat_config {
  bool enabled = true;
  /// Origins allowed to open sessions and sockets; "loopback" allows any
  /// http://127.0.0.1:<port> and http://localhost:<port> (development only).
  std::vector<std::string> allowed_origins;
  std::chrono::seconds session_ttl{2 * 3600};  ///< a session not used for this long ends
  std::chrono::seconds conversation_retention{30 * 24 * 3600};  ///< a closed case's conversation is kept this long
  std::size_t max_connections = 20000;  ///< chat sockets and streams of this instance
  std::size_t max_connections_per_address = 20;
  double messages_per_second = 1.0;  ///< per connection, sustained
  double message_burst = 10.0;       ///< per connection, at once
  double address_messages_per_second = 5.0;  ///< per address (a whole office behind one NAT), sustained
  double address_message_burst = 50.0;
  /// New sessions and left messages per address per window: room for a library PC or a
  /// carrier-grade NAT shared by many residents, not for a script filling Redis.
  std::size_t sessions_per_address = 30;
  std::size_t leave_messages_per_address = 10;
  std::chrono::seconds address_window{600};
  std::size_t max_pending_frames = 64;  ///< frames queued for one socket at most
  std::chrono::seconds slow_reader{30};  ///< a socket that takes no frame for this long while more waits: 1013
  std::chrono::seconds ping_interval{15};  ///< fallback event streams: a keep-alive comment, and the session checked
  /// Opening hours per weekday (0 = Sunday), in the `timezone`; empty: always open.
  std::vector<std::vector<opening_window>> hours;
  std::string timezone = "Europe/Amsterdam";
  std::string closed_notice;  ///< shown while closed; empty: the widget's own text
  bool operator==(webchat_config const&) const = default;
};

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
  std::string domain;  ///< Balie's mail domain: Message-IDs, reply tokens, bounce addresses
  /// Addresses delivered to Balie (lower case) and the inbox of each.
  std::vector<std::pair<std::string, std::string>> addresses;
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
  int acknowledge_limit = 10;     ///< automatic mails per address per period
  std::chrono::seconds acknowledge_period{3 * 3600};
  bool operator==(email_config const&) const = default;
};

struct staff_config {
  std::chrono::seconds claim_ttl{30 * 60};  ///< a claim nobody renews returns the case to its inbox
  int sms_max_segments = 6;                 ///< longer SMS replies are refused: too costly, too long to read
  bool operator==(staff_config const&) const = default;
};

/// How every channel's reply sender shares its outbox with other instances.
struct outbox_config {
  /// An entry another consumer has held this long without acknowledging is taken over:
  /// its instance is presumed dead. Longer than any single delivery attempt.
  std::chrono::milliseconds takeover_after{180'000};
  std::chrono::milliseconds block{5'000};  ///< one blocking read's wait for new replies
  bool operator==(outbox_config const&) const = default;
};

struct config {
  std::filesystem::path file;
  std::filesystem::path data_dir;
  int threads = 2;
  std::chrono::milliseconds shutdown_deadline{10'000};
  std::string log_level = "info";
  http_config http;
  queue::redis_options redis;
  std::filesystem::path tokens_file;
  std::vector<inbox_config> inboxes;
  routing::routing_config routing;
  phone_config phone;
  webchat_config webchat;
  email_config email;
  staff_config staff;
  outbox_config outbox;
  std::filesystem::path web_root;  ///< the staff page and widget files; empty: not served
  std::chrono::seconds dedup_ttl{30 * 24 * 3600};  ///< longer than any provider's redelivery window
};

/// Reads and validates; throws config_error naming the offending key's path.
/// Relative data paths resolve against the data directory (`--data-dir`
/// overrides `data_dir`), relative file paths against the config file's folder.
config load_config(std::filesystem::path const& file, std::optional<std::filesystem::path> data_dir_override = {});

} // namespace balie::gateway
