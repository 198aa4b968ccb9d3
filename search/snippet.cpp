#include "search/snippet.hpp"

#include "routing/dutch_words.hpp"

namespace balie::search {
namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // …

bool word_byte(char c) {
  auto const u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

/// `text` on one line: runs of white space as one space.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ', space = false;
    out += c;
  }
  return out;
}

/// [from, to) widened to no more than `width` bytes, moved inwards to word and character boundaries.
std::string cut(std::string_view text, std::size_t from, std::size_t to, std::size_t width) {
  std::size_t const room = width > to - from ? (width - (to - from)) / 2 : 0;
  std::size_t begin = from > room ? from - room : 0, end = std::min(text.size(), to + room);
  if (begin > 0) {
    while (begin < from && word_byte(text[begin - 1])) ++begin;  // not inside a word
  }
  if (end < text.size()) {
    while (end > to && word_byte(text[end])) --end;
  }
  while (begin > 0 && continuation(text[begin])) --begin;
  while (end < text.size() && continuation(text[end])) ++end;
  auto out = one_line(text.substr(begin, end - begin));
  if (begin > 0) out = std::string(ellipsis) + out;
  if (end < text.size()) out += ellipsis;
  return out;
}

} // namespace

std::optional<std::string> snippet(std::string_view text, std::vector<std::string> const& stems, std::size_t width) {
  // Every word begins with its stem but for the stem's last two letters (routing/rule_words.hpp).
  std::vector<std::string_view> cores;
  for (auto const& s : stems) cores.push_back(std::string_view(s).substr(0, s.size() > 4 ? s.size() - 2 : std::min<std::size_t>(s.size(), 2)));
  std::string lower;
  for (std::size_t i = 0; i < text.size();) {
    if (!word_byte(text[i])) {
      ++i;
      continue;
    }
    std::size_t const start = i;
    bool ascii = true;
    while (i < text.size() && word_byte(text[i])) ascii &= static_cast<unsigned char>(text[i]) < 0x80, ++i;
    auto const raw = text.substr(start, i - start);
    if (ascii) {
      lower.assign(raw);
      for (auto& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    } else {
      lower = routing::folded(raw);
    }
    bool maybe = false;
    for (auto const core : cores) maybe |= std::string_view(lower).starts_with(core);
    if (!maybe) continue;
    bool found = false;
    routing::for_each_word(lower, [&](std::string_view w) {
      auto const st = routing::stem(w);
      for (auto const& s : stems) found |= st == s;
    });
    if (found) return cut(text, start, i, width);
  }
  return std::nullopt;
}

std::string first_line(std::string_view text, std::size_t width) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto const line = one_line(text.substr(start, end - start));
    if (!line.empty()) {
      if (line.size() <= width) return line;
      auto cut_at = line.rfind(' ', width);
      if (cut_at == std::string::npos || cut_at == 0) cut_at = width;
      while (cut_at > 0 && continuation(line[cut_at])) --cut_at;
      return line.substr(0, cut_at) + std::string(ellipsis);
    }
    start = end + 1;
  }
  return {};
}

} // namespace balie::search
