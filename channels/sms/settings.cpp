#include "channels/sms/settings.hpp"

#include <algorithm>

namespace balie::sms {
using namespace channels;

namespace {

/// A provider's webhook secret shorter than this is guessable.
constexpr std::size_t min_secret_length = 16;
/// The sender shown on the resident's phone: an alphanumeric name fits 11 characters, a number E.164's 15 digits and '+'.
constexpr std::size_t max_sender_name = 11;
constexpr std::size_t max_sender_number = 16;

bool is_http_url(std::string const& url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

provider_config read_provider(object_reader& p, std::string const& name, config_context const& ctx) {
  auto const path = "/channels/sms/providers/" + name;
  provider_config c;
  c.enabled = p.boolean("enabled", true);
  p.object("webhook_secret", true, [&](object_reader& s) { c.webhook_secret = read_secret(s, ctx.base); });
  if (c.webhook_secret.size() < min_secret_length)
    fail(path + "/webhook_secret", "must be at least " + std::to_string(min_secret_length) + " characters");
  if (name == "twilio") {
    auto const scheme = p.text("signature", "sha1");
    if (scheme != "sha1" && scheme != "sha256") fail(path + "/signature", "expected \"sha1\" or \"sha256\"");
    c.twilio_sha256 = scheme == "sha256";
  }
  if (name == "cm") {
    p.array("allowed_sources", true, [&](nlohmann::json const& v, std::string const& at) {
      if (!v.is_string() || !is_address_or_network(v.get<std::string>())) fail(at, "expected an address or network (192.0.2.0/24)");
      c.allowed_sources.push_back(v.get<std::string>());
    });
    if (c.allowed_sources.empty()) fail(path + "/allowed_sources", "name at least one address CM posts from");
  }
  p.object("send", false, [&](object_reader& s) {
    c.api_url = s.text("url", "", true);
    if (!is_http_url(c.api_url)) fail(path + "/send/url", "expected http:// or https://");
    c.account = s.text("account", "");
    if (s.has("secret")) s.object("secret", false, [&](object_reader& r) { c.api_secret = read_secret(r, ctx.base); });
    else c.api_secret = name == "twilio" ? c.webhook_secret : "";
    c.from = s.text("from", "", true);
    bool const number = !c.from.empty() && c.from.find_first_not_of("+0123456789") == std::string::npos;
    if (c.from.empty() || c.from.size() > (number ? max_sender_number : max_sender_name))
      fail(path + "/send/from", "expected a number or a name of at most " + std::to_string(max_sender_name) + " characters");
    if (name == "twilio" && c.account.empty()) fail(path + "/send/account", "Twilio needs the account SID");
    if (name == "kannel" && (c.account.empty() || c.api_secret.empty())) fail(path + "/send", "Kannel needs the sendsms account and secret");
    if (name == "cm" && c.api_secret.empty()) fail(path + "/send/secret", "CM needs the product token");
    if ((name == "bird" || name == "messagebird") && c.api_secret.empty()) fail(path + "/send/secret", "the access key is needed");
  });
  return c;
}

} // namespace

sms_config read_sms_config(object_reader& s, config_context const& ctx) {
  sms_config c;
  c.enabled = s.boolean("enabled", false);
  c.public_base_url = s.text("public_base_url", "", true);
  while (!c.public_base_url.empty() && c.public_base_url.back() == '/') c.public_base_url.pop_back();
  if (!is_http_url(c.public_base_url)) fail("/channels/sms/public_base_url", "expected Balie's address as providers reach it, http(s)://host[:port]");
  s.object("providers", true, [&](object_reader& p) {
    for (auto const& item : p.items()) {
      auto const& name = item.first;  // a lambda below reads it: clang 14 captures no structured binding
      if (std::find_if(std::begin(provider_names), std::end(provider_names), [&](char const* n) { return name == n; }) ==
          std::end(provider_names))
        fail("/channels/sms/providers/" + name, "unknown provider (twilio, bird, messagebird, cm, kannel)");
      p.object(name, true, [&](object_reader& r) { c.providers[name] = read_provider(r, name, ctx); });
    }
  });
  if (c.providers.empty()) fail("/channels/sms/providers", "name at least one provider");
  c.send_via = s.text("send_via", "");
  if (!c.send_via.empty()) {
    auto it = c.providers.find(c.send_via);
    if (it == c.providers.end()) fail("/channels/sms/send_via", "names no provider in /channels/sms/providers");
    if (it->second.api_url.empty()) fail("/channels/sms/providers/" + c.send_via + "/send", "missing: the provider replies leave through");
  }
  c.inbox = s.text("inbox", "");
  if (!c.inbox.empty() && !ctx.inbox_ids.count(c.inbox)) fail("/channels/sms/inbox", "names no inbox in /inboxes");
  c.public_number = s.text("public_number", "");
  if (auto const digits = c.public_number.substr(c.public_number.starts_with('+') ? 1 : 0);
      !c.public_number.empty() && (digits.size() < 3 || digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos))
    fail("/channels/sms/public_number", "expected the number (+3197…) or short code (4444) residents text");
  c.thread_window = std::chrono::seconds(s.integer("thread_window_days", 7, 1, 90) * 24 * 3600);
  c.acknowledge = s.boolean("acknowledge", true);
  c.allow_links = s.boolean("allow_links", false);
  c.messages_per_number = static_cast<std::size_t>(s.integer("messages_per_number", 20, 1, 10000));
  c.number_window = std::chrono::seconds(s.integer("number_window_seconds", 600, 1, 24LL * 3600));
  c.provider_per_second = static_cast<double>(s.integer("provider_per_second", 50, 1, 100000));
  c.provider_burst = static_cast<double>(s.integer("provider_burst", 500, 1, 1000000));
  c.send_timeout = std::chrono::seconds(s.integer("send_timeout_seconds", 15, 1, 120));
  c.max_send_attempts = static_cast<int>(s.integer("max_send_attempts", 8, 1, 100));
  c.retry_initial = std::chrono::seconds(s.integer("retry_initial_seconds", 30, 1, 3600));
  c.breaker_failures = static_cast<int>(s.integer("breaker_failures", 5, 1, 1000));
  c.breaker_cooldown = std::chrono::seconds(s.integer("breaker_cooldown_seconds", 60, 1, 3600));
  return c;
}

} // namespace balie::sms
