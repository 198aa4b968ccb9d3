#include "channels/text.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <uninorm.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace balie {

bool is_valid_utf8(std::string_view s) {
  auto const* p = reinterpret_cast<unsigned char const*>(s.data());
  auto const* end = p + s.size();
  while (p < end) {
    unsigned char const c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len;
    unsigned cp;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (end - p < len) return false;
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += len;
  }
  return true;
}

std::string to_nfc(std::string_view s) {
  bool ascii = true;  // ASCII is already NFC: skip the library call for it
  for (unsigned char c : s) ascii = ascii && c < 0x80;
  if (ascii) return std::string(s);
  std::size_t length = 0;
  auto* out = u8_normalize(UNINORM_NFC, reinterpret_cast<std::uint8_t const*>(s.data()), s.size(), nullptr, &length);
  if (!out) return std::string(s);  // only on allocation failure; the text stays as sent
  std::string result(reinterpret_cast<char const*>(out), length);
  std::free(out);
  return result;
}

std::string_view trim(std::string_view s) {
  auto const ws = " \t\r\n\f\v";
  auto const b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string to_hex(unsigned char const* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) out += digits[bytes[i] >> 4], out += digits[bytes[i] & 15];
  return out;
}

std::string base64_encode(std::string_view in) {
  static constexpr char const* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? alphabet[n & 63] : '=';
  }
  return out;
}

std::string sha256_hex(std::string_view s) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(s.data()), s.size(), digest);
  return to_hex(digest, sizeof digest);
}

std::string random_text(std::size_t bytes, std::string_view alphabet) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("no random bytes");
  unsigned const width = alphabet.size() == 16 ? 4 : alphabet.size() == 32 ? 5 : 6;
  unsigned const mask = (1u << width) - 1;
  std::string out;
  unsigned bits = 0, value = 0;
  for (unsigned char b : raw) {
    value = (value << 8) | b, bits += 8;
    while (bits >= width) out.push_back(alphabet[(value >> (bits -= width)) & mask]);
  }
  if (bits) out.push_back(alphabet[(value << (width - bits)) & mask]);
  return out;
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace balie
