#include "routing/dutch_words.hpp"

#include <libstemmer.h>
#include <unicase.h>
#include <unictype.h>
#include <unistr.h>
#include <uninorm.h>

#include <cstdlib>
#include <memory>

namespace balie::routing {
namespace {

struct stemmer_free {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};

sb_stemmer* dutch() {
  // libstemmer's stemmer keeps state between calls: one per thread.
  thread_local std::unique_ptr<sb_stemmer, stemmer_free> const s(sb_stemmer_new("dutch", "UTF_8"));
  return s.get();
}

/// Lower case, then NFD with the combining marks (U+0300-U+036F) left out.
std::string folded(std::string_view text) {
  std::size_t lower_length = 0;
  auto* lower = u8_tolower(reinterpret_cast<std::uint8_t const*>(text.data()), text.size(), nullptr, UNINORM_NFD, nullptr, &lower_length);
  if (!lower) return std::string(text);
  std::string out;
  out.reserve(lower_length);
  for (std::size_t i = 0; i < lower_length; ++i) {
    // U+0300-U+036F is 0xCC 0x80 .. 0xCD 0xAF in UTF-8.
    if (i + 1 < lower_length && ((lower[i] == 0xCC && lower[i + 1] >= 0x80) || (lower[i] == 0xCD && lower[i + 1] <= 0xAF))) {
      ++i;
      continue;
    }
    out += static_cast<char>(lower[i]);
  }
  std::free(lower);
  return out;
}

/// The length of the letter or digit at `i`; 0 when the character there is anything else.
std::size_t word_char(std::string const& s, std::size_t i) {
  ucs4_t c = 0;
  auto const n = u8_mbtouc(&c, reinterpret_cast<std::uint8_t const*>(s.data() + i), s.size() - i);
  return uc_is_alnum(c) ? static_cast<std::size_t>(n) : 0;
}

} // namespace

std::vector<std::string> word_stems(std::string_view text) {
  auto const f = folded(text);
  std::vector<std::string> out;
  auto* stemmer = dutch();
  for (std::size_t i = 0; i < f.size();) {
    if (word_char(f, i) == 0) {
      ++i;  // a continuation byte of a skipped character is no letter either
      continue;
    }
    auto j = i;
    for (std::size_t n; j < f.size() && (n = word_char(f, j)) > 0;) j += n;
    auto const* stem = sb_stemmer_stem(stemmer, reinterpret_cast<sb_symbol const*>(f.data() + i), static_cast<int>(j - i));
    if (stem) out.emplace_back(reinterpret_cast<char const*>(stem), static_cast<std::size_t>(sb_stemmer_length(stemmer)));
    else out.emplace_back(f, i, j - i);
    i = j;
  }
  return out;
}

} // namespace balie::routing
