#pragma once
// A way residents can write to the municipality, as a channel offers it and
// the web-chat widget lists it next to phone, counter and post.

#include <string>

namespace balie::channels {

/// A way residents can write to the municipality on a channel, as the web-chat widget lists it.
struct contact_point {
  std::string kind;     ///< email, sms, matrix, whatsapp
  std::string address;  ///< as residents write it: info@gemeente.test, +3197010203040, @balie:gemeente.test
  std::string href;     ///< mailto:, sms:, https://matrix.to/#/…, https://wa.me/…
  bool big_tech = false;  ///< run by a Big Tech platform (WhatsApp: Meta): listed after the others, and said so
};

} // namespace balie::channels
