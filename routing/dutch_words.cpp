#include "routing/dutch_words.hpp"

#include <libstemmer.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <unordered_map>

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

/// Lower case without diacritics: ASCII directly; otherwise NFD lower case with the
/// combining marks (U+0300-U+036F, 0xCC 0x80 .. 0xCD 0xAF in UTF-8) left out.
std::string folded(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    std::string out(text);
    for (auto& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  std::size_t lower_length = 0;
  auto* lower = u8_tolower(reinterpret_cast<std::uint8_t const*>(text.data()), text.size(), nullptr, UNINORM_NFD, nullptr, &lower_length);
  if (!lower) return std::string(text);
  std::string out;
  out.reserve(lower_length);
  for (std::size_t i = 0; i < lower_length; ++i) {
    if (i + 1 < lower_length && ((lower[i] == 0xCC && lower[i + 1] >= 0x80) || (lower[i] == 0xCD && lower[i + 1] <= 0xAF))) {
      ++i;
      continue;
    }
    out += static_cast<char>(lower[i]);
  }
  std::free(lower);
  return out;
}

/// Folded ASCII letters and digits (no upper case is left).
constexpr auto ascii_word = [] {
  std::array<bool, 128> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  return t;
}();

/// The length of the letter or digit at `i`; 0 when the character there is anything else.
inline std::size_t word_char(std::string const& s, std::size_t i) {
  auto const b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return ascii_word[b] ? 1 : 0;
  ucs4_t c = 0;
  auto const n = u8_mbtouc(&c, reinterpret_cast<std::uint8_t const*>(s.data() + i), s.size() - i);
  return uc_is_alnum(c) ? static_cast<std::size_t>(n) : 0;
}

} // namespace

stemmed_words stem_words(std::string_view text) {
  auto const f = folded(text);
  stemmed_words out;
  auto* stemmer = dutch();
  std::unordered_map<std::string_view, std::uint32_t, word_hash> seen;  // word → its stem's index
  std::unordered_map<std::string, std::uint32_t> stem_index;  // two words, one stem: one entry
  seen.reserve(64);
  stem_index.reserve(64);
  out.order.reserve(f.size() / 6);
  for (std::size_t i = 0; i < f.size();) {
    if (word_char(f, i) == 0) {
      ++i;  // a continuation byte of a skipped character is no letter either
      continue;
    }
    auto j = i;
    for (std::size_t n; j < f.size() && (n = word_char(f, j)) > 0;) j += n;
    auto const word = std::string_view(f).substr(i, j - i);
    i = j;
    if (auto const known = seen.find(word); known != seen.end()) {
      out.order.push_back(known->second);
      continue;
    }
    auto const* stem = !stemmer ? nullptr : sb_stemmer_stem(stemmer, reinterpret_cast<sb_symbol const*>(word.data()), static_cast<int>(word.size()));
    std::string s = stem ? std::string(reinterpret_cast<char const*>(stem), static_cast<std::size_t>(sb_stemmer_length(stemmer)))
                         : std::string(word);
    auto const [at, fresh] = stem_index.emplace(std::move(s), static_cast<std::uint32_t>(out.stems.size()));
    if (fresh) out.stems.push_back(at->first);
    seen.emplace(word, at->second);
    out.order.push_back(at->second);
  }
  return out;
}

std::vector<std::string> word_stems(std::string_view text) {
  auto const s = stem_words(text);
  std::vector<std::string> out;
  out.reserve(s.order.size());
  for (auto const i : s.order) out.push_back(s.stems[i]);
  return out;
}

} // namespace balie::routing
