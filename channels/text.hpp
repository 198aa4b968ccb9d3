#pragma once
// Small text checks every channel needs on untrusted input.

#include <string>
#include <string_view>

namespace balie {

/// Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view);

/// Unicode Normalization Form C, so that "é" written as e + combining accent
/// and as one code point compare, search and export the same. The input must
/// be valid UTF-8.
std::string to_nfc(std::string_view);

/// Removes leading and trailing ASCII white space.
std::string_view trim(std::string_view);

/// Lower-cases ASCII letters (header names, media types).
std::string ascii_lower(std::string_view);

/// Base64 (RFC 4648, with padding, no line breaks).
std::string base64_encode(std::string_view);

/// SHA-256 of the bytes, as lower-case hexadecimal.
std::string sha256_hex(std::string_view);
/// `bytes` random bytes (OpenSSL's CSPRNG) written in `alphabet`, whose size
/// is 16, 32 or 64 (4, 5 or 6 bits per character). Throws when the CSPRNG fails.
std::string random_text(std::size_t bytes, std::string_view alphabet);

/// Lower-case hexadecimal of bytes (digests).
std::string to_hex(unsigned char const* bytes, std::size_t size);

/// The value of one hex digit (either case), or -1.
int hex_digit_value(char);

} // namespace balie
