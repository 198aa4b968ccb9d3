#pragma once
// The hand-over to Open Klant (Klantinteracties API 0.9.0): where it is, the
// token Balie authenticates with (from a secret file or the environment), how
// long a call may take and how often it is tried, and the `kanaal` label each
// channel gets there. Open Klant may check `kanaal` against the
// municipality's own list (Referentielijsten), so the labels are
// configuration. Off unless the `openklant` section is present.

#include "channels/config_reader.hpp"

#include <chrono>
#include <map>
#include <string>

namespace balie::openklant {

struct openklant_config {
  bool enabled = false;
  /// The API's base, up to and including `/klantinteracties/api/v1`.
  std::string url;
  std::string token;
  std::chrono::seconds timeout{15};  ///< one call
  int max_attempts = 10;             ///< tries of a case's hand-over before it becomes a dead letter
  std::chrono::seconds retry_initial{60};
  /// `kanaal` per channel; the messenger is split by platform: matrix, whatsapp.
  std::map<std::string, std::string> kanalen{{"email", "E-mail"},  {"sms", "SMS"},        {"webchat", "Live chat"},
                                             {"phone", "Telefoon"}, {"matrix", "Matrix"}, {"whatsapp", "WhatsApp"}};
  /// `codeRegister` of what Balie itself identifies: the case (onderwerpobject), a full text or a file (bijlage).
  std::string register_code = "balie";
  bool operator==(openklant_config const&) const = default;
};

/// Reads `/openklant`; throws channels::config_error naming the key.
openklant_config read_openklant_config(channels::object_reader&, channels::config_context const&);

} // namespace balie::openklant
