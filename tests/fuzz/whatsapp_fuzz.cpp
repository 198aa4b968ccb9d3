// libFuzzer target: any bytes as a WhatsApp Cloud API notification, a handshake query, callback data, a body under
// X-Hub-Signature-256 and the Graph API's answer to a send (200, 429). Nothing may crash or leak; a message is from
// +digits with an id of 1-200 bytes and at most 4096 bytes of text; a status is sent, delivered, read or failed and
// names a case only with its message; callback data is two 26-character ids; a signature of "sha256=00" never passes.
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

/// The Graph API's answer with `body`; an accepted send names its message, a wait is capped at an hour.
void answer(long status, std::string_view body) {
  balie::channels::outbound_answer a;
  a.status = status;
  a.body = std::string(body);
  a.content_type = "application/json";
  if (status == 429) a.retry_after = a.body;
  auto const read = balie::messenger::read_whatsapp_answer(a);
  using kind = balie::messenger::send_answer::kind;
  if (read.outcome == kind::accepted && (read.platform_id.empty() || read.platform_id.size() > 200)) __builtin_trap();
  if (read.retry_after < std::chrono::milliseconds(0) || read.retry_after > std::chrono::hours(1)) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie;
  std::string_view const raw(reinterpret_cast<char const*>(data), size);

  check(messenger::read_whatsapp(raw));

  if (auto const query = channels::parse_form(raw)) {
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
