// Strict reading: every object is read through an object_reader that
// remembers which keys were consumed; any key left over is an error naming
// its JSON pointer. Types and ranges are checked where read.
#include "gateway/config.hpp"

#include "gateway/client_address.hpp"

#include "channels/addresses.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <set>
#include <sstream>

namespace balie::gateway {
namespace {
using json = nlohmann::json;
namespace fs = std::filesystem;

/// The host of a scheme://[user@]host[:port]/... URL is this machine.
bool is_loopback_url(std::string_view url) {
  auto const start = url.find("://");
  if (start == std::string_view::npos) return false;
  auto rest = url.substr(start + 3);
  rest = rest.substr(0, rest.find('/'));
  if (auto const at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view host;
  if (rest.starts_with('[')) host = rest.substr(0, rest.find(']') + 1);
  else host = rest.substr(0, rest.find(':'));
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

[[noreturn]] void fail(std::string const& path, std::string const& what) {
  throw config_error("config: " + (path.empty() ? "/" : path) + ": " + what);
}

class object_reader {
public:
  object_reader(json const& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) fail(path_, "expected an object");
  }
  ~object_reader() noexcept(false) {
    if (std::uncaught_exceptions()) return;
    for (auto const& [key, _] : j_.items())
      if (!seen_.count(key)) fail(path_ + "/" + key, "unknown key");
  }
  bool has(std::string const& key) const { return j_.contains(key); }
  /// Every key, for objects that are maps (each read with text() etc.).
  std::vector<std::pair<std::string, json>> items() const {
    std::vector<std::pair<std::string, json>> out;
    for (auto const& [k, v] : j_.items()) out.emplace_back(k, v);
    return out;
  }
  json const* get(std::string const& key, bool required) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) fail(path_ + "/" + key, "missing required key");
      return nullptr;
    }
    return &*it;
  }
  std::string text(std::string const& key, std::string fallback, bool required = false) {
    auto const* v = get(key, required);
    if (!v) return fallback;
    if (!v->is_string()) fail(path_ + "/" + key, "expected a string");
    return v->get<std::string>();
  }
  long long integer(std::string const& key, long long fallback, long long min, long long max) {
    auto const* v = get(key, false);
    if (!v) return fallback;
    if (!v->is_number_integer()) fail(path_ + "/" + key, "expected an integer");
    auto const n = v->get<long long>();
    if (n < min || n > max) fail(path_ + "/" + key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
  }
  bool boolean(std::string const& key, bool fallback) {
    auto const* v = get(key, false);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(path_ + "/" + key, "expected true or false");
    return v->get<bool>();
  }
  std::chrono::milliseconds millis(std::string const& key, std::chrono::milliseconds fallback, long long min, long long max) {
    return std::chrono::milliseconds(integer(key, fallback.count(), min, max));
  }
  template <class F>
  void object(std::string const& key, bool required, F&& f) {
    auto const* v = get(key, required);
    if (!v) return;
    object_reader r(*v, path_ + "/" + key);
    f(r);
  }
  template <class F>
  void array(std::string const& key, bool required, F&& f) {
    auto const* v = get(key, required);
    if (!v) return;
    if (!v->is_array()) fail(path_ + "/" + key, "expected a list");
    for (std::size_t i = 0; i < v->size(); ++i) f((*v)[i], path_ + "/" + key + "/" + std::to_string(i));
  }
  std::string const& path() const { return path_; }

private:
  json const& j_;
  std::string path_;
  std::set<std::string> seen_;
};

/// A secret reference: {"env": "NAME"} or {"file": "path"}.
std::string read_secret(object_reader& r, fs::path const& base) {
  auto const env = r.text("env", "");
  auto const file = r.text("file", "");
  if (env.empty() == file.empty()) fail(r.path(), "give exactly one of 'env' or 'file'");
  if (!env.empty()) {
    char const* v = std::getenv(env.c_str());
    if (!v) fail(r.path() + "/env", "environment variable " + env + " is not set");
    return v;
  }
  std::ifstream in(base / file);
  if (!in) fail(r.path() + "/file", "cannot read the secret file");
  std::string s;
  std::getline(in, s);
  return s;
}

void check_inbox_id(std::string const& id, std::string const& path) {
  auto const allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  if (id.empty() || id.size() > 63 || id[0] == '-' || !std::all_of(id.begin(), id.end(), allowed))
    fail(path, "an inbox id is 1-63 characters of a-z, 0-9 and '-'");
}

} // namespace

config load_config(fs::path const& file, std::optional<fs::path> data_dir_override) {
  std::ifstream in(file);
  if (!in) throw config_error("config: cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  auto const j = json::parse(text.str(), nullptr, false, /*ignore_comments=*/true);
  if (j.is_discarded()) throw config_error("config: " + file.string() + " is not valid JSON");

  config c;
  c.file = fs::absolute(file);
  auto const base = c.file.parent_path();
  object_reader root(j, "");
  c.data_dir = data_dir_override ? *data_dir_override : fs::path(root.text("data_dir", "var"));
  if (data_dir_override) root.get("data_dir", false);
  if (c.data_dir.is_relative()) c.data_dir = fs::absolute(c.data_dir);
  auto data_path = [&](std::string const& p) { return fs::path(p).is_relative() ? c.data_dir / p : fs::path(p); };

  c.threads = static_cast<int>(root.integer("threads", 2, 1, 64));
  c.shutdown_deadline = root.millis("shutdown_deadline_ms", c.shutdown_deadline, 0, 600'000);
  c.dedup_ttl = std::chrono::seconds(root.integer("dedup_ttl_hours", 720, 1, 24 * 365) * 3600);
  root.object("log", false, [&](object_reader& r) {
    c.log_level = r.text("level", "info");
    if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
      fail("/log/level", "expected one of debug, info, warn, error");
  });
  root.object("http", true, [&](object_reader& r) {
    c.http.address = r.text("address", c.http.address);
    c.http.port = static_cast<std::uint16_t>(r.integer("port", c.http.port, 0, 65535));
    c.http.max_header_bytes = static_cast<std::size_t>(r.integer("max_header_bytes", 16384, 1024, 1 << 20));
    c.http.max_body_bytes = static_cast<std::size_t>(r.integer("max_body_bytes", 5 << 20, 1024, 256 << 20));
    c.http.read_timeout = r.millis("read_timeout_ms", c.http.read_timeout, 100, 600'000);
    c.http.idle_timeout = r.millis("idle_timeout_ms", c.http.idle_timeout, 100, 3'600'000);
    c.http.max_connections = static_cast<std::size_t>(r.integer("max_connections", 4096, 1, 1'000'000));
    c.http.max_connections_per_address = static_cast<std::size_t>(r.integer("max_connections_per_address", 512, 1, 1'000'000));
    r.array("trusted_proxies", false, [&](json const& v, std::string const& path) {
      if (!v.is_string()) fail(path, "expected an address or network, e.g. \"10.0.0.0/8\"");
      try {
        trusted_proxies({v.get<std::string>()});
      } catch (std::invalid_argument const&) {
        fail(path, "expected an address or network, e.g. \"10.0.0.0/8\"");
      }
      c.http.trusted_proxies.push_back(v.get<std::string>());
    });
  });
  root.object("redis", true, [&](object_reader& r) {
    auto const socket = r.text("unix_socket", "");
    c.redis.unix_socket = socket.empty() ? "" : data_path(socket).string();
    c.redis.host = r.text("host", "127.0.0.1");
    c.redis.port = static_cast<std::uint16_t>(r.integer("port", 6379, 1, 65535));
    c.redis.connect_timeout = r.millis("connect_timeout_ms", c.redis.connect_timeout, 10, 60'000);
    c.redis.command_timeout = r.millis("command_timeout_ms", c.redis.command_timeout, 10, 60'000);
    c.redis.reconnect_min = r.millis("reconnect_min_ms", c.redis.reconnect_min, 1, 60'000);
    c.redis.reconnect_max = r.millis("reconnect_max_ms", c.redis.reconnect_max, 1, 600'000);
    c.redis.require_durability = r.boolean("require_durability", true);
    r.object("password", false, [&](object_reader& s) { c.redis.password = read_secret(s, base); });
  });
  root.object("auth", true, [&](object_reader& r) {
    auto const tokens = fs::path(r.text("tokens_file", "", true));
    c.tokens_file = tokens.is_relative() ? base / tokens : tokens;
  });
  std::set<std::string> inbox_ids;
  root.array("inboxes", true, [&](json const& v, std::string const& path) {
    object_reader r(v, path);
    inbox_config inbox{r.text("id", "", true), r.text("name", "", true)};
    check_inbox_id(inbox.id, path + "/id");
    if (!inbox_ids.insert(inbox.id).second) fail(path + "/id", "duplicate inbox id");
    c.inboxes.push_back(std::move(inbox));
  });
  root.object("routing", true, [&](object_reader& r) {
    c.routing.default_inbox = r.text("default_inbox", "", true);
    if (!inbox_ids.count(c.routing.default_inbox)) fail("/routing/default_inbox", "names no inbox in /inboxes");
    r.object("channels", false, [&](object_reader& ch) {
      for (auto const each : all_channels) {
        auto const name = std::string(to_string(each));
        if (!ch.has(name)) continue;
        auto const inbox = ch.text(name, "");
        if (!inbox_ids.count(inbox)) fail("/routing/channels/" + name, "names no inbox in /inboxes");
        c.routing.by_channel[each] = inbox;
      }
    });
  });
  root.object("channels", false, [&](object_reader& r) {
    r.object("webchat", false, [&](object_reader& w) {
      auto& c2 = c.webchat;
      c2.enabled = w.boolean("enabled", true);
      w.array("allowed_origins", false, [&](json const& v, std::string const& path) {
        if (!v.is_string()) fail(path, "expected an origin such as \"https://www.gemeente.test\"");
        auto const o = v.get<std::string>();
        bool const ok = o == "loopback" || ((o.rfind("https://", 0) == 0 || o.rfind("http://", 0) == 0) && o.back() != '/' &&
                                            o.find('/', o.find("//") + 2) == std::string::npos);
        if (!ok) fail(path, "an origin is scheme://host[:port] without a path, or \"loopback\"");
        c2.allowed_origins.push_back(o);
      });
      c2.session_ttl = std::chrono::seconds(w.integer("session_ttl_minutes", 120, 1, 24 * 60) * 60);
      c2.conversation_retention = std::chrono::seconds(w.integer("conversation_retention_days", 30, 1, 3650) * 24 * 3600);
      c2.max_connections = static_cast<std::size_t>(w.integer("max_connections", 20000, 1, 1'000'000));
      c2.max_connections_per_address = static_cast<std::size_t>(w.integer("max_connections_per_address", 20, 1, 1'000'000));
      c2.address_messages_per_second = static_cast<double>(w.integer("address_messages_per_minute", 300, 1, 600000)) / 60.0;
      c2.address_message_burst = static_cast<double>(w.integer("address_message_burst", 50, 1, 100000));
      c2.sessions_per_address = static_cast<std::size_t>(w.integer("sessions_per_address", 30, 1, 1'000'000));
      c2.leave_messages_per_address = static_cast<std::size_t>(w.integer("leave_messages_per_address", 10, 1, 1'000'000));
      c2.address_window = std::chrono::seconds(w.integer("address_window_minutes", 10, 1, 24 * 60) * 60);
      c2.messages_per_second = static_cast<double>(w.integer("messages_per_minute", 60, 1, 6000)) / 60.0;
      c2.message_burst = static_cast<double>(w.integer("message_burst", 10, 1, 1000));
      c2.max_pending_frames = static_cast<std::size_t>(w.integer("max_pending_frames", 64, 4, 10000));
      c2.slow_reader = std::chrono::seconds(w.integer("slow_reader_seconds", 30, 1, 3600));
      c2.ping_interval = std::chrono::seconds(w.integer("ping_seconds", 15, 1, 300));
      c2.timezone = w.text("timezone", c2.timezone);
      c2.closed_notice = w.text("closed_notice", "");
      w.object("hours", false, [&](object_reader& h) {
        c2.hours.assign(7, {});
        char const* days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
        for (int d = 0; d < 7; ++d)
          h.array(days[d], false, [&](json const& v, std::string const& path) {
            auto minute = [&](json const& t) {
              if (!t.is_string() || t.get<std::string>().size() != 5 || t.get<std::string>()[2] != ':') fail(path, "expected [\"HH:MM\", \"HH:MM\"]");
              auto const s = t.get<std::string>();
              int const hh = std::atoi(s.substr(0, 2).c_str()), mm = std::atoi(s.substr(3, 2).c_str());
              if (hh > 24 || mm > 59) fail(path, "not a time of day");
              return hh * 60 + mm;
            };
            if (!v.is_array() || v.size() != 2) fail(path, "expected [\"HH:MM\", \"HH:MM\"]");
            opening_window win{minute(v[0]), minute(v[1])};
            if (win.to_minute <= win.from_minute) fail(path, "closing time must come after opening time");
            c2.hours[static_cast<std::size_t>(d)].push_back(win);
          });
      });
    });
    r.object("email", false, [&](object_reader& e) {
      auto& m = c.email;
      m.enabled = e.boolean("enabled", false);
      m.domain = e.text("domain", "", true);
      if (m.domain.empty() || m.domain.find_first_of("@ <>\r\n") != std::string::npos) fail("/channels/email/domain", "expected a domain name");
      e.object("addresses", true, [&](object_reader& a) {
        for (auto const& [address, inbox] : a.items()) {
          auto const path = "/channels/email/addresses/" + address;
          auto const lower = ascii_lower(address);
          if (!is_valid_email_address(lower) || lower.find('+') != std::string::npos) fail(path, "expected a plain email address");
          auto const id = a.text(address, "");
          if (!inbox_ids.count(id)) fail(path, "names no inbox in /inboxes");
          m.addresses.emplace_back(lower, id);
        }
      });
      if (m.addresses.empty()) fail("/channels/email/addresses", "give at least one address");
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
      m.attachment_dir = data_path(e.text("attachment_dir", "attachments"));
      e.object("smtp", false, [&](object_reader& o) {
        m.smtp_url = o.text("url", "", true);
        if (m.smtp_url.rfind("smtp://", 0) != 0 && m.smtp_url.rfind("smtps://", 0) != 0)
          fail("/channels/email/smtp/url", "expected smtp://host:port or smtps://host:port");
        m.smtp_username = o.text("username", "");
        o.object("password", false, [&](object_reader& s) { m.smtp_password = read_secret(s, base); });
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
        check_inbox_id(b.name, path + "/name");
        if (!names.insert(b.name).second) fail(path + "/name", "duplicate mailbox name");
        b.url = o.text("url", "", true);
        if (b.url.rfind("imap://", 0) != 0 && b.url.rfind("imaps://", 0) != 0) fail(path + "/url", "expected imaps://host/FOLDER");
        b.allow_plaintext = o.boolean("allow_plaintext", false);
        if (b.allow_plaintext && !is_loopback_url(b.url))
          fail(path + "/allow_plaintext", "may be true only for a server on this machine (127.0.0.1, ::1, localhost)");
        if (b.url.rfind("imap://", 0) == 0 && !b.allow_plaintext)
          fail(path + "/url", "use imaps:// (TLS); imap:// only with allow_plaintext for a test server on this machine");
        b.username = o.text("username", "", true);
        o.object("password", true, [&](object_reader& s) { b.password = read_secret(s, base); });
        b.inbox = o.text("inbox", "", true);
        if (!inbox_ids.count(b.inbox)) fail(path + "/inbox", "names no inbox in /inboxes");
        b.processed_folder = o.text("processed_folder", "");
        b.poll = std::chrono::seconds(o.integer("poll_seconds", 60, 1, 3600));
        b.batch = static_cast<std::size_t>(o.integer("batch", 50, 1, 1000));
        m.imap.push_back(std::move(b));
      });
      e.object("acknowledge", false, [&](object_reader& a) {
        m.acknowledge = a.boolean("enabled", true);
        m.acknowledge_limit = static_cast<int>(a.integer("max_per_address", 10, 0, 1000));
        m.acknowledge_period = std::chrono::seconds(a.integer("period_minutes", 180, 1, 7 * 24 * 60) * 60);
      });
    });
    r.object("phone", false, [&](object_reader& p) {
      c.phone.enabled = p.boolean("enabled", true);
      auto const spool = p.text("spool_dir", "");
      c.phone.spool_dir = spool.empty() ? fs::path{} : data_path(spool);
      c.phone.spool_poll = p.millis("spool_poll_ms", c.phone.spool_poll, 10, 60'000);
      c.phone.max_transcript_bytes = static_cast<std::size_t>(p.integer("max_transcript_bytes", 5 << 20, 1024, 256 << 20));
    });
  });
  root.object("staff", false, [&](object_reader& r) {
    c.staff.claim_ttl = std::chrono::seconds(r.integer("claim_ttl_seconds", c.staff.claim_ttl.count(), 1, 24 * 3600));
    c.staff.sms_max_segments = static_cast<int>(r.integer("sms_max_segments", c.staff.sms_max_segments, 1, 20));
  });
  root.object("outbox", false, [&](object_reader& r) {
    c.outbox.takeover_after = r.millis("takeover_after_ms", c.outbox.takeover_after, 100, 24 * 3600 * 1000);
    c.outbox.block = r.millis("block_ms", c.outbox.block, 10, 60'000);
  });
  root.object("web", false, [&](object_reader& r) {
    auto const web = fs::path(r.text("root", "", true));
    c.web_root = web.is_relative() ? base / web : web;
  });
  // A live instance re-reads what it holds at least every block, and one mail transfer lasts at most
  // the SMTP timeout: a shorter takeover would send a reply twice.
  if (c.email.enabled && c.outbox.takeover_after <= c.outbox.block + c.email.smtp_timeout)
    fail("/outbox/takeover_after_ms", "must exceed /outbox/block_ms plus /channels/email/smtp/timeout_seconds");
  if (c.phone.max_transcript_bytes > c.http.max_body_bytes)
    fail("/channels/phone/max_transcript_bytes", "must not exceed /http/max_body_bytes");
  return c;
}

} // namespace balie::gateway
