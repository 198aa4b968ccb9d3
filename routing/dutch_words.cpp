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

/// For each ASCII byte: itself in lower case when it is a letter or digit, a space otherwise.
constexpr auto ascii_letters = [] {
  std::array<char, 128> t{};
  t.fill(' ');
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c - 'A' + 'a');
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  return t;
}();

bool ascii(std::string_view text) {
  unsigned char all = 0;
  for (char const c : text) all |= static_cast<unsigned char>(c);  // no branch: the compiler vectorises it
  return all < 0x80;
}

/// The length of the letter or digit that starts at `at` in folded text; 0 for anything else.
std::size_t letter_length(std::string_view s, std::size_t at) {
  if (auto const b = static_cast<unsigned char>(s[at]); b < 0x80) return ascii_letters[b] != ' ' ? 1 : 0;
  ucs4_t c = 0;
  auto const n = u8_mbtouc(&c, reinterpret_cast<std::uint8_t const*>(s.data() + at), s.size() - at);
  return uc_is_alnum(c) ? static_cast<std::size_t>(n) : 0;
}

} // namespace

// ASCII directly; otherwise NFD lower case with the combining marks
// (U+0300-U+036F, 0xCC 0x80 .. 0xCD 0xAF in UTF-8) left out.
std::string folded(std::string_view text) {
  if (ascii(text)) {
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

folded_words words_of(std::string_view text) {
  folded_words w;
  if (ascii(text)) {
    // Without branches (word ends are too frequent to predict): every byte is written, the position
    // moves on after a letter or after the first space behind a word, and each word's end is noted.
    w.letters.assign(text.size() + 1, ' ');
    w.ends.resize(text.size() / 2 + 1);
    std::size_t n = 0, words = 0;
    bool in_word = false;
    for (char const c : text) {
      auto const l = ascii_letters[static_cast<unsigned char>(c)];
      bool const letter = l != ' ';
      w.letters[n] = l;
      w.ends[words] = static_cast<std::uint32_t>(n);
      words += static_cast<std::size_t>(in_word && !letter);
      n += static_cast<std::size_t>(letter || in_word);
      in_word = letter;
    }
    w.ends[words] = static_cast<std::uint32_t>(n);
    words += static_cast<std::size_t>(in_word);
    w.letters.resize(n + static_cast<std::size_t>(in_word));  // the space after the last word is already there
    w.ends.resize(words);
    return w;
  }
  auto const f = folded(text);
  for (std::size_t i = 0; i < f.size();) {
    if (letter_length(f, i) == 0) {
      ++i;  // a continuation byte of a skipped character is no letter either
      continue;
    }
    auto j = i;
    for (std::size_t l; j < f.size() && (l = letter_length(f, j)) > 0;) j += l;
    w.letters.append(f, i, j - i);
    w.ends.push_back(static_cast<std::uint32_t>(w.letters.size()));
    w.letters += ' ';
    i = j;
  }
  return w;
}

std::string stem(std::string_view word) {
  auto* stemmer = dutch();
  auto const* s = !stemmer ? nullptr : sb_stemmer_stem(stemmer, reinterpret_cast<sb_symbol const*>(word.data()), static_cast<int>(word.size()));
  return s ? std::string(reinterpret_cast<char const*>(s), static_cast<std::size_t>(sb_stemmer_length(stemmer))) : std::string(word);
}

std::vector<std::string> word_stems(std::string_view text) {
  std::vector<std::string> out;
  for_each_word(text, [&](std::string_view w) { out.push_back(stem(w)); });
  return out;
}

} // namespace balie::routing
