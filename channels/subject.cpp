#include "channels/subject.hpp"

namespace balie {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::size_t skip_blanks(std::string_view s, std::size_t i) {
  while (i < s.size() && is_blank(s[i])) ++i;
  return i;
}

bool starts_with_word(std::string_view s, std::size_t i, std::string_view word) {
  if (s.size() - i < word.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (lower(s[i + k]) != word[k]) return false;
  return true;
}

/// The end of a prefix starting at i ("Re:", "Re[2]:", "Re :"), or 0 if there is none.
std::size_t prefix_end(std::string_view s, std::size_t i) {
  for (std::string_view word : {"re", "antw", "aw", "fwd", "fw", "doorst"}) {
    if (!starts_with_word(s, i, word)) continue;
    std::size_t j = i + word.size();
    if (j < s.size() && (s[j] == '[' || s[j] == '(')) {  // numbered: Re[2]: Re(2):
      char const close = s[j] == '[' ? ']' : ')';
      std::size_t const digits = ++j;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j == digits || j == s.size() || s[j] != close) continue;
      ++j;
    }
    j = skip_blanks(s, j);
    if (j < s.size() && s[j] == ':') return j + 1;
  }
  return 0;
}

} // namespace

std::string plain_subject(std::string_view subject) {
  std::size_t i = skip_blanks(subject, 0);
  while (std::size_t const end = prefix_end(subject, i)) i = skip_blanks(subject, end);
  std::size_t last = subject.size();
  while (last > i && is_blank(subject[last - 1])) --last;
  return std::string(subject.substr(i, last - i));
}

std::string reply_subject(std::string_view case_subject) {
  std::string plain = plain_subject(case_subject);
  return plain.empty() ? std::string() : "Re: " + plain;
}

} // namespace balie
