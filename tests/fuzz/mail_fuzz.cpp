// libFuzzer target: any bytes as a received mail, through everything Balie
// does with one before Redis (MIME parsing, charsets, HTML to text, quote
// stripping, bounces, the case-message and its JSON). It must not crash,
// leak, hang or produce a case-message the schema reader refuses. Built with
// -DBALIE_FUZZ=ON and clang (scripts/lib/build --with-fuzz); tests/fuzz/run
// runs it for a bounded time under CTest.
#include "channels/email/mail_intake.hpp"
#include "channels/email/mime_parse.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie;
  std::string_view const raw(reinterpret_cast<char const*>(data), size);
  auto const mail = email::parse_mail(raw);
  email::mail_identity const identity{"gemeente.test", {"info@gemeente.test"}, "bounces"};
  auto const p = email::prepare_mail(mail, {std::string("sender@burger.test"), {"info@gemeente.test"}}, identity, {}, "lmtp",
                                     "01J00000000000000000000001", "01J00000000000000000000002", "BL-7K3M9Q", timestamp{});
  // Stored as JSON text: serialising must not throw (invalid UTF-8 would), and the result must read back.
  auto const text = to_json(p.message).dump();
  if (!case_message_from_json(nlohmann::json::parse(text))) std::abort();
  return 0;
}
