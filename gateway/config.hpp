#pragma once
// balied's configuration: JSON with comments, validated strictly at load so
// that a typo stops start-up with the key's path instead of being ignored.
// Secrets are never in this file: it names environment variables or files.

#include "channels/config_reader.hpp"
#include "channels/email/settings.hpp"
#include "channels/outbox.hpp"
#include "calendar/service_hours.hpp"
#include "channels/acknowledgement.hpp"
#include "channels/resident_texts.hpp"
#include "channels/phone/settings.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/sms/settings.hpp"
#include "channels/webchat/settings.hpp"
#include "gateway/retention_config.hpp"
#include "openklant/settings.hpp"
#include "queue/redis_options.hpp"
#include "routing/router.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace balie::gateway {

using channels::config_error;

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
  /// Opening hours, closed days and answer time: what residents are promised and the watchdog checks.
  calendar::service_hours hours = calendar::default_service_hours();
  /// The team's own mailbox: told by email when a case waits twice its answer time. Empty: no mail.
  std::string team_address;
  /// How a new case is proposed to one of the inbox's available staff: round_robin, fewest_open; empty: not.
  std::string assignment;
  bool operator==(inbox_config const&) const = default;
};

struct staff_config {
  std::chrono::seconds claim_ttl{30 * 60};  ///< a claim nobody renews returns the case to its inbox
  int sms_max_segments = 6;                 ///< longer SMS replies are refused: too costly, too long to read
  bool operator==(staff_config const&) const = default;
};

struct config {
  std::filesystem::path file;
  std::filesystem::path data_dir;
  int threads = 2;
  /// One time zone per installation: opening hours, answer-by days and arrival rules are its local time.
  std::string timezone = "Europe/Amsterdam";
  /// Automatic messages (acknowledgements, notices) per resident address and period, on every channel.
  channels::automatic_limit automatic;
  std::chrono::milliseconds shutdown_deadline{10'000};
  std::string log_level = "info";
  http_config http;
  queue::redis_options redis;
  std::filesystem::path tokens_file;
  std::vector<inbox_config> inboxes;
  routing::routing_config routing;
  /// The routing section as written (comments gone): what seeds the rules in Redis and what a SIGHUP compares.
  nlohmann::json routing_document;
  channels::phone::phone_config phone;
  webchat::webchat_config webchat;
  email::email_config email;
  sms::sms_config sms;
  messenger::messenger_config messenger;  ///< configured: whatsapp or matrix set
  staff_config staff;
  outbox_config outbox;
  retention_config retention = default_retention();
  /// The hand-over of closed cases to Open Klant; off unless the section is there.
  openklant::openklant_config openklant;
  std::filesystem::path web_root;  ///< the staff page and widget files; empty: not served
  /// What Balie writes to residents by itself (config/texts/{nl,en}.json): acknowledgements, notices.
  std::filesystem::path texts_dir;
  std::shared_ptr<channels::resident_texts const> texts;
  /// Saved replies shipped with the installation (id, JSON), added to Redis once.
  std::vector<std::pair<std::string, std::string>> saved_reply_examples;
  /// Longer than any provider's redelivery window: CM retries an SMS webhook for up to a month.
  std::chrono::seconds dedup_ttl{40 * 24 * 3600};
};

/// Reads and validates; throws config_error naming the offending key's path.
/// Relative data paths resolve against the data directory (`--data-dir`
/// overrides `data_dir`), relative file paths against the config file's folder.
config load_config(std::filesystem::path const& file, std::optional<std::filesystem::path> data_dir_override = {});

} // namespace balie::gateway
