#include "channels/sms_segments.hpp"

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

namespace balie {
namespace {

// The GSM 7-bit default alphabet, as Unicode code points (escape excluded).
constexpr std::u32string_view gsm_basic =
    U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
constexpr std::u32string_view gsm_extension = U"\f^{}\\[~]|€";

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto const b = static_cast<unsigned char>(s[i]);
    int const len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

} // namespace

sms_size sms_segments(std::string_view text) {
  sms_size r;
  auto const cps = code_points(text);
  std::size_t septets = 0, utf16 = 0;
  for (char32_t cp : cps) {
    utf16 += cp > 0xFFFF ? 2 : 1;
    if (gsm_basic.find(cp) != std::u32string_view::npos) septets += 1;
    else if (gsm_extension.find(cp) != std::u32string_view::npos) septets += 2;
    else r.gsm7 = false;
  }
  r.units = r.gsm7 ? septets : utf16;
  std::size_t const single = r.gsm7 ? 160 : 70, part = r.gsm7 ? 153 : 67;
  if (r.units == 0) r.segments = 0;
  else if (r.units <= single) r.segments = 1;
  else r.segments = (r.units + part - 1) / part;
  return r;
}

bool has_web_address(std::string_view text) {
  static std::regex const link(R"((https?://|www\.)|\b[a-z0-9-]+\.(nl|com|net|org|eu|info|link|ly|io)(/|\b))", std::regex::icase);
  return std::regex_search(text.begin(), text.end(), link);
}

} // namespace balie
