// The root of the configuration: the process's own sections here, each
// channel's section read by the channel (channels/<name>/settings.cpp), all
// through the strict object_reader of channels/config_reader.hpp.
#include "gateway/config.hpp"
#include "gateway/saved_replies.hpp"

#include "channels/addresses.hpp"

#include "channels/sms_segments.hpp"

#include "server/client_address.hpp"

#include "channels/config_reader.hpp"
#include "channels/email/settings.hpp"
#include "channels/phone/settings.hpp"
#include "channels/webchat/settings.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <set>
#include <sstream>

namespace balie::gateway {
using namespace server;
namespace {
using json = nlohmann::json;
namespace fs = std::filesystem;

using namespace channels;

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
  c.timezone = root.text("timezone", c.timezone);
  if (c.timezone.empty() || c.timezone.find("..") != std::string::npos ||
      (c.timezone != "UTC" && !fs::exists(fs::path("/usr/share/zoneinfo") / c.timezone)))
    fail("/timezone", "expected a time zone of the tz database, such as Europe/Amsterdam (is tzdata installed?)");
  root.object("acknowledgements", false, [&](object_reader& r) {
    c.automatic.limit = static_cast<int>(r.integer("max_per_address", c.automatic.limit, 0, 1000));
    c.automatic.period = std::chrono::seconds(r.integer("period_minutes", c.automatic.period.count() / 60, 1, 7LL * 24 * 60) * 60);
  });
  c.shutdown_deadline = root.millis("shutdown_deadline_ms", c.shutdown_deadline, 0, 600'000);
  c.dedup_ttl = std::chrono::seconds(root.integer("dedup_ttl_hours", 960, 1, 24LL * 365) * 3600);
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
    inbox_config inbox{r.text("id", "", true), r.text("name", "", true), calendar::read_service_hours(r), r.text("team_address", ""),
                       r.text("assignment", "")};
    check_identifier(inbox.id, path + "/id");
    if (r.has("team_address") && !is_valid_email_address(inbox.team_address)) fail(path + "/team_address", "expected an email address");
    if (r.has("assignment") && inbox.assignment != "round_robin" && inbox.assignment != "fewest_open")
      fail(path + "/assignment", "expected round_robin or fewest_open");
    if (!inbox_ids.insert(inbox.id).second) fail(path + "/id", "duplicate inbox id");
    c.inboxes.push_back(std::move(inbox));
  });
  root.object("routing", true, [&](object_reader& r) { c.routing = routing::read_routing(r, inbox_ids); });
  c.routing_document = j["routing"];
  config_context const ctx{base, c.data_dir, inbox_ids};
  root.object("channels", false, [&](object_reader& r) {
    r.object("webchat", false, [&](object_reader& w) { c.webchat = webchat::read_webchat_config(w); });
    r.object("email", false, [&](object_reader& e) { c.email = email::read_email_config(e, ctx); });
    r.object("phone", false, [&](object_reader& p) { c.phone = channels::phone::read_phone_config(p, ctx); });
    r.object("sms", false, [&](object_reader& s) { c.sms = sms::read_sms_config(s, ctx); });
    r.object("messenger", false, [&](object_reader& m) { c.messenger = messenger::read_messenger_config(m, ctx); });
  });
  root.object("staff", false, [&](object_reader& r) {
    c.staff.claim_ttl = std::chrono::seconds(r.integer("claim_ttl_seconds", c.staff.claim_ttl.count(), 1, 24LL * 3600));
    c.staff.sms_max_segments = static_cast<int>(r.integer("sms_max_segments", c.staff.sms_max_segments, 1, 20));
  });
  root.object("retention", false, [&](object_reader& r) { c.retention = read_retention(r, inbox_ids); });
  root.object("openklant", false, [&](object_reader& r) { c.openklant = openklant::read_openklant_config(r, ctx); });
  root.object("outbox", false, [&](object_reader& r) {
    c.outbox.takeover_after = r.millis("takeover_after_ms", c.outbox.takeover_after, 100, 24LL * 3600 * 1000);
    c.outbox.block = r.millis("block_ms", c.outbox.block, 10, 60'000);
  });
  c.texts_dir = base / "texts";
  root.object("texts", false, [&](object_reader& r) {
    auto const dir = fs::path(r.text("dir", "texts"));
    c.texts_dir = dir.is_relative() ? base / dir : dir;
  });
  if (auto const& w = j.contains("channels") && j["channels"].is_object() && j["channels"].contains("webchat") ? j["channels"]["webchat"] : json();
      w.is_object() && w.contains("timezone") && c.webchat.timezone != c.timezone)
    fail("/channels/webchat/timezone", "must be the installation's /timezone: one time zone per installation");
  c.webchat.timezone = c.timezone;
  for (std::size_t i = 0; i < c.inboxes.size(); ++i)
    if (!c.inboxes[i].team_address.empty() && (!c.email.enabled || c.email.smtp_url.empty()))
      fail("/inboxes/" + std::to_string(i) + "/team_address", "needs the email channel's relay (/channels/email/smtp/url) to send through");
  c.sms.max_segments = c.staff.sms_max_segments;
  if (!c.sms.providers.empty() && c.dedup_ttl < std::chrono::hours(40 * 24))
    fail("/dedup_ttl_hours", "must be at least 960 (40 days) with SMS: providers retry a webhook for weeks");
  c.texts = std::make_shared<channels::resident_texts const>(channels::resident_texts::load(c.texts_dir));  // names the file
  // Shipped saved replies: added to Redis once (queue/saved_replies.hpp), checked here like any reply an admin saves.
  root.object("saved_replies", false, [&](object_reader& r) {
    auto const file = fs::path(r.text("examples_file", "", true));
    auto const path = file.is_relative() ? base / file : file;
    std::ifstream examples(path);
    auto const list = json::parse(examples, nullptr, false, /*ignore_comments=*/true);
    if (!examples || !list.is_object() || !list.contains("replies") || !list["replies"].is_array())
      fail("/saved_replies/examples_file", "cannot read " + path.string() + " as {\"replies\": [...]}");
    std::vector<std::string> ids(inbox_ids.begin(), inbox_ids.end());
    for (std::size_t i = 0; i < list["replies"].size(); ++i) {
      auto entry = list["replies"][i];
      auto const where = path.string() + " /replies/" + std::to_string(i);
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() || !is_saved_reply_id(entry["id"].get<std::string>()))
        throw config_error("config: " + where + "/id: expected 1 to 64 of a-z, 0-9 and '-'");
      auto const id = entry["id"].get<std::string>();
      entry.erase("id");
      auto read = read_saved_reply(entry, id, ids);
      if (auto* problems = std::get_if<field_problems>(&read))
        throw config_error("config: " + where + problems->front().first + ": " + problems->front().second);
      auto reply = std::get<saved_reply>(std::move(read));
      reply.updated_by = "balie";
      c.saved_reply_examples.emplace_back(id, to_json(reply).dump());
    }
  });
  // Balie's own SMS must fit the part limit staff replies have, with any reference, day and notice.
  if (!c.sms.providers.empty())
    for (auto const* language : {"nl", "en"}) {
      auto const route = c.texts->text("contact.human_route.short", language);
      std::vector<std::string> texts = {c.texts->text("sms.opt_in.confirmation", language), c.texts->text("sms.opt_out.confirmation", language)};
      for (auto const* situation : {"", "acknowledgement.short.situation.outside_hours", "acknowledgement.short.situation.switched_off"})
        texts.push_back(c.texts->text("acknowledgement.short", language,
                                      {{"reference", "BL-XXXXXX"}, {"answer_by", language == std::string_view("en") ? "Wednesday 30 September" : "woensdag 30 september"},
                                       {"human_route", route},
                                       {"situation", *situation ? c.texts->text(situation, language, {{"notice", c.texts->text("sms.switched_off.notice", language)}}) : ""}}));
      for (auto const& text : texts)
        if (sms_segments(text).segments > static_cast<std::size_t>(c.sms.max_segments))
          fail((c.texts_dir / (std::string(language) + ".json")).string(), "an SMS Balie sends by itself is longer than /staff/sms_max_segments SMS parts");
    }
  root.object("web", false, [&](object_reader& r) {
    auto const web = fs::path(r.text("root", "", true));
    c.web_root = web.is_relative() ? base / web : web;
  });
  // A live instance re-reads what it holds at least every block, and one mail transfer lasts at most
  // the SMTP timeout: a shorter takeover would send a reply twice.
  if (c.email.enabled && c.outbox.takeover_after <= c.outbox.block + c.email.smtp_timeout)
    fail("/outbox/takeover_after_ms", "must exceed /outbox/block_ms plus /channels/email/smtp/timeout_seconds");
  if (!c.sms.send_via.empty() && c.outbox.takeover_after <= c.outbox.block + c.sms.send_timeout)
    fail("/outbox/takeover_after_ms", "must exceed /outbox/block_ms plus /channels/sms/send_timeout_seconds");
  if ((c.messenger.whatsapp.configured || c.messenger.matrix.configured) && c.outbox.takeover_after <= c.outbox.block + c.messenger.send_timeout)
    fail("/outbox/takeover_after_ms", "must exceed /outbox/block_ms plus /channels/messenger/send_timeout_seconds");
  if (c.phone.max_transcript_bytes > c.http.max_body_bytes)
    fail("/channels/phone/max_transcript_bytes", "must not exceed /http/max_body_bytes");
  return c;
}

} // namespace balie::gateway
