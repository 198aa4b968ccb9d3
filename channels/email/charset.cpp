#include "channels/email/charset.hpp"

#include "channels/text.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <optional>

namespace balie::email {
namespace {

constexpr std::array<char16_t, 32> cp1252_high = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

bool has_c1_bytes(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto const b = static_cast<unsigned char>(c);
    return b >= 0x80 && b <= 0x9F;
  });
}

/// The label without quotes, case or punctuation differences: "ISO_8859-1" → "iso88591".
std::string label_key(std::string_view label) {
  std::string k;
  for (char c : trim(label))
    if (std::isalnum(static_cast<unsigned char>(c))) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

bool is_windows1252_label(std::string const& k) {
  return k == "iso88591" || k == "latin1" || k == "l1" || k == "usascii" || k == "ascii" || k == "88591" || k == "cp1252" ||
         k == "windows1252" || k == "xcp1252" || k == "cp819" || k == "ibm819" || k == "iso885911987";
}

/// iconv with U+FFFD for what cannot be converted; empty optional when the charset is unknown.
std::optional<std::string> via_iconv(std::string_view bytes, std::string const& charset) {
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  out.reserve(bytes.size() * 2);
  std::string in(bytes);
  char* src = in.data();
  std::size_t left = in.size();
  std::array<char, 4096> buf{};
  while (left > 0) {
    char* dst = buf.data();
    std::size_t room = buf.size();
    auto const r = iconv(cd, &src, &left, &dst, &room);
    out.append(buf.data(), static_cast<std::size_t>(dst - buf.data()));
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (truncated sequence): one replacement character, skip a byte.
      append_utf8(out, 0xFFFD);
      ++src;
      --left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  iconv_close(cd);
  return out;
}

/// The bytes of an encoded-word's payload ('Q' or 'B'), leniently.
std::string encoded_word_bytes(std::string_view payload, char encoding) {
  std::string out;
  if (encoding == 'Q' || encoding == 'q') {
    for (std::size_t i = 0; i < payload.size(); ++i) {
      if (payload[i] == '_') out += ' ';
      else if (payload[i] == '=' && i + 2 < payload.size() && hex_digit_value(payload[i + 1]) >= 0 && hex_digit_value(payload[i + 2]) >= 0) {
        out += static_cast<char>(hex_digit_value(payload[i + 1]) * 16 + hex_digit_value(payload[i + 2]));
        i += 2;
      } else out += payload[i];
    }
    return out;
  }
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned bits = 0;
  int count = 0;
  for (char c : payload) {
    auto const v = alphabet.find(c);
    if (v == std::string_view::npos) continue;
    bits = (bits << 6) | static_cast<unsigned>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

} // namespace

bool charset_known(std::string_view label) {
  auto const key = label_key(label);
  if (key.empty() || key == "utf8" || is_windows1252_label(key)) return true;
  iconv_t cd = iconv_open("UTF-8", std::string(trim(label)).c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  iconv_close(cd);
  return true;
}

std::string relabel_unknown_charsets(std::string_view v, std::vector<std::string>& warnings) {
  std::string out;
  std::size_t pos = 0;
  while (pos < v.size()) {
    auto const start = v.find("=?", pos);
    if (start == std::string_view::npos) break;
    auto const q1 = v.find('?', start + 2);
    auto const q2 = q1 == std::string_view::npos ? q1 : v.find('?', q1 + 1);
    auto const end = q2 == std::string_view::npos ? q2 : v.find("?=", q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2) {
      // Not an encoded word: keep the "=?" and look for the next one.
      out.append(v.substr(pos, start + 2 - pos));
      pos = start + 2;
      continue;
    }
    auto charset = v.substr(start + 2, q1 - start - 2);
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
    out.append(v.substr(pos, start - pos));
    if (charset_known(charset)) {
      out.append(v.substr(start, end + 2 - start));
    } else {
      auto const payload = v.substr(q2 + 1, end - q2 - 1);
      auto const label = is_valid_utf8(encoded_word_bytes(payload, v[q1 + 1])) ? "utf-8" : "windows-1252";
      out += "=?" + std::string(label) + "?" + v[q1 + 1] + "?" + std::string(payload) + "?=";
      if (std::find(warnings.begin(), warnings.end(), "charset-unknown") == warnings.end()) warnings.emplace_back("charset-unknown");
    }
    pos = end + 2;
  }
  out.append(v.substr(std::min(pos, v.size())));
  return out;
}

std::string windows1252_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (char ch : bytes) {
    auto const b = static_cast<unsigned char>(ch);
    if (b < 0x80) out += ch;
    else if (b < 0xA0) append_utf8(out, cp1252_high[b - 0x80]);
    else append_utf8(out, b);
  }
  return out;
}

std::string decode_text(std::string_view bytes, std::string_view declared, std::vector<std::string>& warnings) {
  auto const key = label_key(declared);
  bool const utf8 = is_valid_utf8(bytes);
  if (key.empty()) {
    if (!has_8bit(bytes)) return std::string(bytes);
    warnings.emplace_back("charset-guessed");
    return utf8 ? std::string(bytes) : windows1252_to_utf8(bytes);
  }
  if (key == "utf8" || key == "unicode11utf8" || key == "xunicode20utf8") {
    if (utf8) return std::string(bytes);
    return *via_iconv(bytes, "UTF-8");
  }
  if (is_windows1252_label(key)) {
    if (!has_8bit(bytes)) return std::string(bytes);
    // A Latin-1 label on real UTF-8 (an editor that saved UTF-8): the bytes win.
    if (utf8 && key != "cp1252" && key != "windows1252" && key != "xcp1252") {
      warnings.emplace_back("charset-relabelled");
      return std::string(bytes);
    }
    if (has_c1_bytes(bytes) && key != "cp1252" && key != "windows1252" && key != "xcp1252")
      warnings.emplace_back("charset-relabelled");
    return windows1252_to_utf8(bytes);
  }
  if (auto converted = via_iconv(bytes, std::string(trim(declared)))) return *converted;
  warnings.emplace_back("charset-unknown");
  if (!has_8bit(bytes)) return std::string(bytes);
  return utf8 ? std::string(bytes) : windows1252_to_utf8(bytes);
}

} // namespace balie::email
