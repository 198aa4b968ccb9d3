#include "channels/email/settings.hpp"

#include "channels/addresses.hpp"
#include "channels/config_reader.hpp"
#include "channels/text.hpp"

#include <algorithm>

namespace balie::email {
using namespace channels;
using json = nlohmann::json;

email_config read_email_config(object_reader& e, config_context const& ctx) {
  email_config m;
  m.enabled = e.boolean("enabled", false);
  auto const when_off = e.text("when_switched_off", "defer");
  if (when_off != "defer" && when_off != "accept")
    fail("/channels/email/when_switched_off", "expected \"defer\" (the MTA keeps the mail) or \"accept\" (file it and send the notice)");
  m.accept_while_off = when_off == "accept";
  m.domain = e.text("domain", "", true);
  if (m.domain.empty() || m.domain.find_first_of("@ <>\r\n") != std::string::npos) fail("/channels/email/domain", "expected a domain name");
  e.object("addresses", true, [&](object_reader& a) {
    for (auto const& [address, inbox] : a.items()) {
      auto const path = "/channels/email/addresses/" + address;
      auto const lower = ascii_lower(address);
      if (!is_valid_email_address(lower) || lower.find('+') != std::string::npos) fail(path, "expected a plain email address");
      auto const id = a.text(address, "");
      if (!ctx.inbox_ids.count(id)) fail(path, "names no inbox in /inboxes");
      m.addresses.emplace_back(lower, id);
    }
  });
  if (m.addresses.empty()) fail("/channels/email/addresses", "give at least one address");
  m.public_address = ascii_lower(e.text("public_address", m.addresses.front().first));
  if (std::none_of(m.addresses.begin(), m.addresses.end(), [&](auto const& a) { return a.first == m.public_address; }))
    fail("/channels/email/public_address", "must be one of /channels/email/addresses");
  m.bounce_local_part = e.text("bounce_local_part", m.bounce_local_part);
  m.from_name = e.text("from_name", m.from_name);
  if (m.from_name.find_first_of("\r\n") != std::string::npos) fail("/channels/email/from_name", "must be one line");
  e.object("lmtp", false, [&](object_reader& l) {
    m.lmtp_enabled = l.boolean("enabled", true);
    m.lmtp_address = l.text("address", m.lmtp_address);
    m.lmtp_port = static_cast<std::uint16_t>(l.integer("port", m.lmtp_port, 0, 65535));
    m.lmtp_idle_timeout = std::chrono::seconds(l.integer("idle_timeout_seconds", 300, 1, 3600));
    m.lmtp_max_connections = static_cast<std::size_t>(l.integer("max_connections", 100, 1, 10000));
  });
  m.max_message_bytes = static_cast<std::size_t>(e.integer("max_message_bytes", 25 << 20, 1024, 256 << 20));
  m.max_attachments = static_cast<std::size_t>(e.integer("max_attachments", 100, 0, 10000));
  m.max_mime_depth = static_cast<std::size_t>(e.integer("max_mime_depth", 64, 1, 500));
  m.attachment_dir = ctx.data_path(e.text("attachment_dir", "attachments"));
  e.object("smtp", false, [&](object_reader& o) {
    m.smtp_url = o.text("url", "", true);
    if (m.smtp_url.rfind("smtp://", 0) != 0 && m.smtp_url.rfind("smtps://", 0) != 0)
      fail("/channels/email/smtp/url", "expected smtp://host:port or smtps://host:port");
    m.smtp_username = o.text("username", "");
    o.object("password", false, [&](object_reader& s) { m.smtp_password = read_secret(s, ctx.base); });
    m.smtp_require_tls = o.boolean("require_tls", true);
    if (!m.smtp_require_tls && !is_loopback_url(m.smtp_url))
      fail("/channels/email/smtp/require_tls", "may be false only for a relay on this machine (127.0.0.1, ::1, localhost)");
    m.smtp_timeout = std::chrono::seconds(o.integer("timeout_seconds", 60, 1, 600));
    m.max_send_attempts = static_cast<int>(o.integer("max_attempts", 8, 1, 100));
    m.smtp_retry_initial = std::chrono::seconds(o.integer("retry_initial_seconds", 60, 1, 3600));
  });
  std::set<std::string> names;
  e.array("imap", false, [&](json const& v, std::string const& path) {
    object_reader o(v, path);
    imap_mailbox_config b;
    b.name = o.text("name", "", true);
    check_identifier(b.name, path + "/name");
    if (!names.insert(b.name).second) fail(path + "/name", "duplicate mailbox name");
    b.url = o.text("url", "", true);
    if (b.url.rfind("imap://", 0) != 0 && b.url.rfind("imaps://", 0) != 0) fail(path + "/url", "expected imaps://host/FOLDER");
    b.allow_plaintext = o.boolean("allow_plaintext", false);
    if (b.allow_plaintext && !is_loopback_url(b.url))
      fail(path + "/allow_plaintext", "may be true only for a server on this machine (127.0.0.1, ::1, localhost)");
    if (b.url.rfind("imap://", 0) == 0 && !b.allow_plaintext)
      fail(path + "/url", "use imaps:// (TLS); imap:// only with allow_plaintext for a test server on this machine");
    b.username = o.text("username", "", true);
    o.object("password", true, [&](object_reader& s) { b.password = read_secret(s, ctx.base); });
    b.inbox = o.text("inbox", "", true);
    if (!ctx.inbox_ids.count(b.inbox)) fail(path + "/inbox", "names no inbox in /inboxes");
    b.processed_folder = o.text("processed_folder", "");
    b.poll = std::chrono::seconds(o.integer("poll_seconds", 60, 1, 3600));
    b.batch = static_cast<std::size_t>(o.integer("batch", 50, 1, 1000));
    m.imap.push_back(std::move(b));
  });
  e.object("acknowledge", false, [&](object_reader& a) {
    m.acknowledge = a.boolean("enabled", true);
  });
  return m;
}

} // namespace balie::email
