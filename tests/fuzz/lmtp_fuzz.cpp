// libFuzzer target: any bytes as what an MTA (or anyone who reaches the port)
// sends the LMTP listener, cut into pieces at positions the input chooses,
// through the LMTP session; every handed-off message is answered as stored.
// Nothing may crash or leak, a handed-off message has at least one
// recipient, and its data never holds a bare CR or LF (smuggling).
#include "channels/email/lmtp_session.hpp"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace balie;
  if (size == 0) return 0;
  email::lmtp_settings settings;
  settings.hostname = "balie.gemeente.test";
  settings.max_message_bytes = 64 * 1024;
  settings.accepts_recipient = [](std::string_view a) { return a == "info@gemeente.test"; };
  email::lmtp_session session(settings);
  std::size_t const piece = 1 + data[0] % 64;
  std::string_view rest(reinterpret_cast<char const*>(data) + 1, size - 1);
  while (!rest.empty()) {
    auto out = session.feed(rest.substr(0, piece));
    rest.remove_prefix(std::min(piece, rest.size()));
    while (out.message) {
      auto const& m = *out.message;
      if (m.recipients.empty()) std::abort();
      for (std::size_t i = 0; i < m.data.size(); ++i) {
        bool const cr = m.data[i] == '\r', lf = m.data[i] == '\n';
        if ((cr && (i + 1 == m.data.size() || m.data[i + 1] != '\n')) || (lf && (i == 0 || m.data[i - 1] != '\r'))) std::abort();
      }
      out = session.finish(std::vector<std::string>(m.recipients.size(), "250 2.0.0 Ok"));
    }
    if (out.close) break;
  }
  return 0;
}
