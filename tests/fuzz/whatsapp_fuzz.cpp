// libFuzzer target: any bytes as a WhatsApp Cloud API notification, a handshake query, callback data, a body under
// X-Hub-Signature-256 and the Graph API's answer to a send (200, 429); and WhatsApp through a provider: CM's
// message and status report, Twilio's form and status callback, and both providers' answers. Nothing may crash or leak; a message is from
// +digits with an id of 1-200 bytes and at most 4096 bytes of text; a status is sent, delivered, read or failed and
// names a case only with its message; callback data is two 26-character ids; a signature of "sha256=00" never passes.
#include "channels/messenger/cm_whatsapp.hpp"
#include "channels/messenger/twilio_whatsapp.hpp"
#include "channels/messenger/whatsapp_api.hpp"
#include "channels/messenger/whatsapp_webhook.hpp"
#include "channels/outbound_http.hpp"
#include "channels/webhook_signatures.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void check(balie::messenger::notification_result const& r) {
  if (!r) return;
  for (auto const& m : r->messages)
    if (!m.from.starts_with('+') || m.id.empty() || m.id.size() > 200 || m.text.size() > 4096) __builtin_trap();
  for (auto const& s : r->statuses) {
    if (s.status != "sent" && s.status != "delivered" && s.status != "read" && s.status != "failed") __builtin_trap();
    if (!s.case_id.empty() && s.message_id.empty()) __builtin_trap();
  }
}

/// A platform's or provider's answer with `body`; an accepted send from Meta or Twilio names its message, a wait is
/// capped at an hour.
void answer(long status, std::string_view body) {
  balie::channels::outbound_answer a;
  a.status = status;
  a.body = std::string(body);
  a.content_type = "application/json";
  if (status == 429) a.retry_after = a.body;
  using kind = balie::messenger::send_answer::kind;
  for (auto const read : {balie::messenger::read_whatsapp_answer, balie::messenger::read_twilio_answer}) {
    auto const r = read(a);
    if (r.outcome == kind::accepted && (r.platform_id.empty() || r.platform_id.size() > 200)) __builtin_trap();
    if (r.retry_after < std::chrono::milliseconds(0) || r.retry_after > std::chrono::hours(1)) __builtin_trap();
  }
  auto const cm = balie::messenger::read_cm_answer(a);
  if (cm.retry_after < std::chrono::milliseconds(0) || cm.retry_after > std::chrono::hours(1)) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie;
  std::string_view const raw(reinterpret_cast<char const*>(data), size);

  check(messenger::read_whatsapp(raw));
  check(messenger::read_cm_whatsapp(raw));
  check(messenger::read_cm_whatsapp_status(raw));

  if (auto const query = channels::parse_form(raw)) {
    check(messenger::read_twilio_whatsapp(*query));
    check(messenger::read_twilio_whatsapp_status(*query, *query));
    // The challenge is echoed as text/plain: only a short token may come back.
    if (auto const challenge = messenger::verification_challenge(*query, "dev-verify-token");
        challenge && (challenge->empty() || challenge->size() > 200))
      __builtin_trap();
  }

  if (channels::verify_meta("app-secret", raw, "sha256=00")) __builtin_trap();

  if (auto const ref = messenger::from_callback_data(raw); ref && (ref->first.size() != 26 || ref->second.size() != 26)) __builtin_trap();

  answer(200, raw);
  answer(429, raw);
  return 0;
}
