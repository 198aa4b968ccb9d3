#include "openklant/settings.hpp"

namespace balie::openklant {
using channels::fail;

openklant_config read_openklant_config(channels::object_reader& r, channels::config_context const& ctx) {
  openklant_config c;
  c.enabled = true;
  c.url = r.text("url", "", true);
  while (!c.url.empty() && c.url.back() == '/') c.url.pop_back();
  // Resident data never crosses a network in the clear; plain http only to this machine (tests, a local proxy).
  if (c.url.rfind("https://", 0) != 0 && !(c.url.rfind("http://", 0) == 0 && channels::is_loopback_url(c.url)))
    fail(r.path() + "/url", "must be an https:// URL (http:// only to this machine)");
  r.object("token", true, [&](channels::object_reader& s) { c.token = channels::read_secret(s, ctx.base); });
  if (c.token.empty()) fail(r.path() + "/token", "is empty");
  c.timeout = std::chrono::seconds(r.integer("timeout_seconds", c.timeout.count(), 1, 120));
  c.max_attempts = static_cast<int>(r.integer("max_attempts", c.max_attempts, 1, 100));
  c.retry_initial = std::chrono::seconds(r.integer("retry_initial_seconds", c.retry_initial.count(), 1, 3600));
  c.register_code = r.text("register", c.register_code);
  if (c.register_code.empty() || c.register_code.size() > 200) fail(r.path() + "/register", "must be 1 to 200 characters");
  r.object("kanalen", false, [&](channels::object_reader& k) {
    for (auto const& [channel, label] : k.items()) {
      if (!c.kanalen.count(channel))
        fail(k.path() + "/" + channel, "unknown channel (email, sms, webchat, phone, matrix, whatsapp)");
      auto const text = k.text(channel, "");
      // Open Klant counts characters; a label is plain text, ASCII or not.
      std::size_t chars = 0;
      for (unsigned char ch : text) chars += (ch & 0xC0) != 0x80;
      if (chars == 0 || chars > 50) fail(k.path() + "/" + channel, "must be 1 to 50 characters (Open Klant's kanaal)");
      c.kanalen[channel] = text;
    }
  });
  return c;
}

} // namespace balie::openklant
