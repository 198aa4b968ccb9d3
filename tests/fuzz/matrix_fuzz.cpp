// libFuzzer target: any bytes as a Matrix application-service transaction and as the homeserver's answer to a send
// (200, 429). Nothing may crash or leak; a message's sender, room and event id are @, ! and $ ids of 1-255 bytes and
// never Balie's own users; an edit or redaction names a $event; an invite names a !room; a receipt names a $event
// read by a resident, not by Balie.
#include "channels/messenger/matrix_api.hpp"
#include "channels/messenger/matrix_events.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/outbound_http.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

balie::messenger::matrix_config const& config() {
  static auto const c = [] {
    balie::messenger::matrix_config c;
    c.configured = true;
    c.homeserver_url = "https://matrix.gemeente.test";
    c.server_name = "gemeente.test";
    c.hs_token = "fuzz-hs-token";
    c.as_token = "fuzz-as-token";
    return c;
  }();
  return c;
}

/// A Matrix id as Balie may store it: its sigil first, at most the spec's 255 bytes.
bool id_with(std::string const& s, char sigil) { return !s.empty() && s.size() <= 255 && s.front() == sigil; }

/// The homeserver's answer with `body`; an accepted send names its event, a wait is capped at an hour.
void answer(long status, std::string_view body) {
  balie::channels::outbound_answer a;
  a.status = status;
  a.body = std::string(body);
  a.content_type = "application/json";
  if (status == 429) a.retry_after = a.body;
  auto const read = balie::messenger::read_matrix_answer(a);
  using kind = balie::messenger::send_answer::kind;
  if (read.outcome == kind::accepted && (read.platform_id.empty() || read.platform_id.size() > 255)) __builtin_trap();
  if (read.retry_after < std::chrono::milliseconds(0) || read.retry_after > std::chrono::hours(1)) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie::messenger;
  std::string_view const raw(reinterpret_cast<char const*>(data), size);
  auto const& c = config();

  if (auto const t = read_transaction(raw, c)) {
    for (auto const& m : t->messages) {
      if (!id_with(m.from, '@') || !id_with(m.room, '!') || !id_with(m.id, '$')) __builtin_trap();
      if (is_own_user(m.from, c)) __builtin_trap();
      if (m.kind != message_kind::message && (m.changes.empty() || m.changes.front() != '$')) __builtin_trap();
    }
    for (auto const& room : t->invites)
      if (!room.starts_with('!')) __builtin_trap();
    for (auto const& r : t->receipts)
      if (!r.event_id.starts_with('$') || !r.reader.starts_with('@') || is_own_user(r.reader, c)) __builtin_trap();
  }
  (void)is_own_user(raw, c);

  answer(200, raw);
  answer(429, raw);
  return 0;
}
