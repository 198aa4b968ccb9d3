#include "channels/messenger/settings.hpp"

namespace balie::messenger {
using namespace channels;
namespace {

/// A secret shorter than this is guessable.
constexpr std::size_t min_secret_length = 12;

bool is_http_url(std::string const& url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

std::string without_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string secret(object_reader& r, std::string const& key, config_context const& ctx, std::filesystem::path* file = nullptr) {
  std::string value;
  r.object(key, true, [&](object_reader& s) {
    if (file && s.has("file")) {
      auto const* f = s.get("file", false);
      if (f->is_string()) *file = ctx.base / f->get<std::string>();
    }
    value = read_secret(s, ctx.base);
  });
  if (value.size() < min_secret_length) fail(r.path() + "/" + key, "must be at least " + std::to_string(min_secret_length) + " characters");
  return value;
}

bool is_localpart(std::string const& s) {
  return !s.empty() && s.size() <= 64 && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._=-/") == std::string::npos;
}

bool is_e164_number(std::string const& s) {
  return s.size() >= 9 && s.size() <= 16 && s[0] == '+' && s[1] != '0' && s.find_first_not_of("0123456789", 1) == std::string::npos;
}

cm_whatsapp_config read_cm(object_reader& r, config_context const& ctx) {
  cm_whatsapp_config c;
  c.configured = true;
  c.path_secret = secret(r, "path_secret", ctx);
  if (c.path_secret.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != std::string::npos)
    fail(r.path() + "/path_secret", "a path segment: letters, digits, - and _");
  r.array("allowed_sources", true, [&](nlohmann::json const& v, std::string const& at) {
    if (!v.is_string() || !is_address_or_network(v.get<std::string>())) fail(at, "expected an address or network (192.0.2.0/24)");
    c.allowed_sources.push_back(v.get<std::string>());
  });
  if (c.allowed_sources.empty()) fail(r.path() + "/allowed_sources", "name at least one address CM posts from");
  c.api_url = without_trailing_slash(r.text("api_url", c.api_url));
  if (!is_http_url(c.api_url)) fail(r.path() + "/api_url", "expected http:// or https://");
  if (r.has("product_token")) c.product_token = secret(r, "product_token", ctx);
  c.from = r.text("from", "");
  if (!c.from.empty() && !is_e164_number(c.from)) fail(r.path() + "/from", "expected the WhatsApp number in E.164 (+31…)");
  c.template_namespace = r.text("template_namespace", "");
  return c;
}

twilio_whatsapp_config read_twilio(object_reader& r, config_context const& ctx) {
  twilio_whatsapp_config c;
  c.configured = true;
  c.auth_token = secret(r, "auth_token", ctx);
  auto const scheme = r.text("signature", "sha1");
  if (scheme != "sha1" && scheme != "sha256") fail(r.path() + "/signature", "expected \"sha1\" or \"sha256\"");
  c.sha256 = scheme == "sha256";
  c.api_url = without_trailing_slash(r.text("api_url", c.api_url));
  if (!is_http_url(c.api_url)) fail(r.path() + "/api_url", "expected http:// or https://");
  c.account = r.text("account", "");
  if (!c.account.empty() && (c.account.size() != 34 || !c.account.starts_with("AC"))) fail(r.path() + "/account", "expected the account SID (AC…)");
  c.from = r.text("from", "");
  if (!c.from.empty() && !is_e164_number(c.from)) fail(r.path() + "/from", "expected the WhatsApp sender in E.164 (+31…)");
  c.content_sid = r.text("content_sid", "");
  if (!c.content_sid.empty() && (c.content_sid.size() != 34 || !c.content_sid.starts_with("HX")))
    fail(r.path() + "/content_sid", "expected the template's Content SID (HX…)");
  return c;
}

whatsapp_config read_whatsapp(object_reader& w, config_context const& ctx) {
  whatsapp_config c;
  c.configured = true;
  c.enabled = w.boolean("enabled", true);
  c.dpia_reference = w.text("dpia_reference", "");
  if (c.dpia_reference.empty() || c.dpia_reference.size() > 100)
    fail(w.path() + "/dpia_reference", "WhatsApp needs the reference of the DPIA that allows it (at most 100 characters)");
  c.via = w.text("via", "cloud");
  if (c.via != "cloud" && c.via != "cm" && c.via != "twilio") fail(w.path() + "/via", "expected cloud, cm or twilio");
  c.cloud = c.via == "cloud" || w.has("app_secret");
  if (c.cloud) {
    c.app_secret = secret(w, "app_secret", ctx);
    c.verify_token = secret(w, "verify_token", ctx);
    c.access_token = secret(w, "access_token", ctx);
    c.graph_url = without_trailing_slash(w.text("graph_url", c.graph_url));
    if (!is_http_url(c.graph_url)) fail(w.path() + "/graph_url", "expected http:// or https://");
    c.phone_number_id = w.text("phone_number_id", "", true);
    if (c.phone_number_id.empty() || c.phone_number_id.find_first_not_of("0123456789") != std::string::npos)
      fail(w.path() + "/phone_number_id", "expected the number's id at Meta (digits)");
  }
  w.object("cm", c.via == "cm", [&](object_reader& r) { c.cm = read_cm(r, ctx); });
  w.object("twilio", c.via == "twilio", [&](object_reader& r) { c.twilio = read_twilio(r, ctx); });
  if (c.via == "cm" && (c.cm.product_token.empty() || c.cm.from.empty()))
    fail(w.path() + "/cm", "replies go through CM (via): product_token and from are needed");
  if (c.via == "twilio" && (c.twilio.account.empty() || c.twilio.from.empty()))
    fail(w.path() + "/twilio", "replies go through Twilio (via): account and from are needed");
  w.object("template", false, [&](object_reader& t) {
    c.template_name = t.text("name", "", true);
    c.template_language = t.text("language", "nl");
    c.template_text = t.text("text", "", true);
    if (auto const at = c.template_text.find("{{1}}"); at == std::string::npos || c.template_text.find("{{1}}", at + 1) != std::string::npos ||
                                                       c.template_text.find("{{2}}") != std::string::npos)
      fail(t.path() + "/text", "the approved wording, with {{1}} once where the case reference goes");
    if (c.template_name.empty() || c.template_name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      fail(t.path() + "/name", "expected a template name (a-z, 0-9, _)");
    if (c.template_language.empty() || c.template_language.size() > 10) fail(t.path() + "/language", "expected a language code (nl, en_US)");
  });
  c.public_number = w.text("public_number", c.via == "cm" ? c.cm.from : c.via == "twilio" ? c.twilio.from : "");
  if (!c.public_number.empty() && !is_e164_number(c.public_number)) fail(w.path() + "/public_number", "expected the WhatsApp number in E.164 (+31…)");
  if (!c.template_name.empty() && c.via == "cm" && c.cm.template_namespace.empty())
    fail(w.path() + "/cm/template_namespace", "CM sends the template by its namespace at Meta");
  if (!c.template_name.empty() && c.via == "twilio" && c.twilio.content_sid.empty())
    fail(w.path() + "/twilio/content_sid", "Twilio sends the template by its Content SID");
  return c;
}

matrix_config read_matrix(object_reader& m, config_context const& ctx) {
  matrix_config c;
  c.configured = true;
  c.enabled = m.boolean("enabled", true);
  c.homeserver_url = without_trailing_slash(m.text("homeserver_url", "", true));
  if (!is_http_url(c.homeserver_url)) fail(m.path() + "/homeserver_url", "expected http:// or https://");
  c.server_name = m.text("server_name", "", true);
  if (c.server_name.empty() || c.server_name.size() > 255 || c.server_name.find_first_of(" /@#!") != std::string::npos)
    fail(m.path() + "/server_name", "expected the homeserver's name (gemeente.test)");
  c.hs_token = secret(m, "hs_token", ctx, &c.hs_token_file);
  c.as_token = secret(m, "as_token", ctx, &c.as_token_file);
  if (c.hs_token == c.as_token) fail(m.path() + "/as_token", "must differ from hs_token");
  c.appservice_id = m.text("appservice_id", c.appservice_id);
  c.sender_localpart = m.text("sender_localpart", c.sender_localpart);
  c.user_prefix = m.text("user_prefix", c.user_prefix);
  if (!is_localpart(c.appservice_id)) fail(m.path() + "/appservice_id", "expected a-z, 0-9 and ._=-/");
  if (!is_localpart(c.sender_localpart)) fail(m.path() + "/sender_localpart", "expected a-z, 0-9 and ._=-/");
  if (!is_localpart(c.user_prefix)) fail(m.path() + "/user_prefix", "expected a-z, 0-9 and ._=-/");
  return c;
}

} // namespace

messenger_config read_messenger_config(object_reader& s, config_context const& ctx) {
  messenger_config c;
  c.enabled = s.boolean("enabled", false);
  c.public_base_url = without_trailing_slash(s.text("public_base_url", "", true));
  if (!is_http_url(c.public_base_url)) fail(s.path() + "/public_base_url", "expected Balie's address as the platforms reach it");
  c.inbox = s.text("inbox", "");
  if (!c.inbox.empty() && !ctx.inbox_ids.count(c.inbox)) fail(s.path() + "/inbox", "names no inbox in /inboxes");
  s.object("whatsapp", false, [&](object_reader& w) { c.whatsapp = read_whatsapp(w, ctx); });
  s.object("matrix", false, [&](object_reader& m) { c.matrix = read_matrix(m, ctx); });
  if (!c.whatsapp.configured && !c.matrix.configured) fail(s.path(), "configure whatsapp, matrix or both");
  c.thread_window = std::chrono::seconds(s.integer("thread_window_days", 7, 1, 90) * 24 * 3600);
  c.send_timeout = std::chrono::seconds(s.integer("send_timeout_seconds", 15, 1, 120));
  c.max_send_attempts = static_cast<int>(s.integer("max_send_attempts", 8, 1, 100));
  c.retry_initial = std::chrono::seconds(s.integer("retry_initial_seconds", 30, 1, 3600));
  c.breaker_failures = static_cast<int>(s.integer("breaker_failures", 5, 1, 1000));
  c.breaker_cooldown = std::chrono::seconds(s.integer("breaker_cooldown_seconds", 60, 1, 3600));
  c.attachment_dir = ctx.data_path(s.text("attachment_dir", "attachments"));
  c.max_file_bytes = static_cast<std::size_t>(s.integer("max_file_bytes", 16LL * 1024 * 1024, 1024, 100LL * 1024 * 1024));
  c.per_second = static_cast<double>(s.integer("per_second", 50, 1, 100000));
  c.burst = static_cast<double>(s.integer("burst", 500, 1, 1000000));
  return c;
}

} // namespace balie::messenger
