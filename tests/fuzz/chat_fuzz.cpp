// libFuzzer target: any bytes as what a stranger sends the web chat and the
// event streams: a WebSocket frame, a request body read through the typed
// field readers, a Last-Event-ID (chat sequence number or Redis stream id),
// a name and a message text. Nothing may throw, crash or leak; whatever is
// accepted must be clean (valid UTF-8, no control characters in a name).
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "channels/webchat/protocol.hpp"
#include "queue/stream_id.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie;
  std::string_view const raw(reinterpret_cast<char const*>(data), size);

  if (auto frame = webchat::parse_client_frame(raw)) {
    if (auto const* m = std::get_if<webchat::resident_message>(&*frame))
      if (!is_valid_utf8(m->text) || !webchat::valid_client_id(m->client_id)) std::abort();
  }

  auto const body = nlohmann::json::parse(raw, nullptr, false);
  if (!body.is_discarded()) {
    for (auto const* name : {"lang", "name", "text", "client_id", "type", "token"}) {
      (void)json_fields::optional_string(body, name);
      (void)json_fields::string_or(body, name, "nl");
      (void)json_fields::required_string(body, name);
      (void)json_fields::optional_integer(body, name);
      (void)json_fields::string_array(body, name);
    }
    if (auto reply = json_fields::optional_object(body, "reply"); reply && *reply) {
      (void)json_fields::string_or(**reply, "channel", "", "reply");
      (void)json_fields::string_or(**reply, "address", "", "reply");
    }
  }

  if (auto seq = webchat::parse_seq(raw); seq && *seq < 0) std::abort();
  (void)queue::parse_stream_id(raw);
  if (auto name = webchat::clean_resident_name(raw)) {
    if (!is_valid_utf8(*name) || name->size() > webchat::max_name_bytes) std::abort();
    for (char c : *name)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) std::abort();
  }
  if (is_valid_utf8(raw)) (void)webchat::clean_resident_text(raw);
  return 0;
}
