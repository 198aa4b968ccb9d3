// libFuzzer target: any bytes as a posted or spooled call transcript, in each
// of the three formats (the first byte picks one), through parsing, the
// shared checks and normalising to a case-message and its JSON. Nothing may
// throw, crash, leak or produce a case-message that does not read back.
#include "channels/ids.hpp"
#include "channels/phone/intake.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie;
  using namespace balie::channels::phone;
  if (size == 0) return 0;
  static id_source ids;
  auto const format = data[0] % 3 == 0 ? transcript_format::balie_json : data[0] % 3 == 1 ? transcript_format::webvtt
                                                                                          : transcript_format::whisper_json;
  std::string_view const body(reinterpret_cast<char const*>(data) + 1, size - 1);
  call_metadata meta;
  if (format != transcript_format::balie_json) meta.call_id = "fuzz-call";
  auto const r = read_transcript(format, body, meta, normalise_context{timestamp{}, ids, "transcript-api"});
  if (r) {
    auto const text = to_json(r->message).dump();
    if (!case_message_from_json(nlohmann::json::parse(text))) std::abort();
  }
  return 0;
}
