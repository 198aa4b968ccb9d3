// Implementation of for_each_digit_number (header-only: it is a template).
#pragma once
#include <string>

namespace balie {

template <class F>
void for_each_digit_number(std::string_view text, F&& f) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i]) || (i > 0 && is_digit(text[i - 1]))) {
      ++i;
      continue;
    }
    // Plain run.
    std::size_t j = i;
    while (j < text.size() && is_digit(text[j])) ++j;
    std::size_t const run = j - i;
    if (run == 8 || run == 9) {
      f(i, j, std::string(text.substr(i, run)));
      i = j;
      continue;
    }
    // Grouped: ddd<sep>ddd<sep>ddd (or dd<sep>ddd<sep>ddd for 8 digits).
    if ((run == 3 || run == 2) && j < text.size() && (text[j] == '.' || text[j] == ' ' || text[j] == '-')) {
      char const sep = text[j];
      std::size_t const k = j + 1;
      if (k + 7 <= text.size() && is_digit(text[k]) && is_digit(text[k + 1]) && is_digit(text[k + 2]) &&
          text[k + 3] == sep && is_digit(text[k + 4]) && is_digit(text[k + 5]) && is_digit(text[k + 6]) &&
          (k + 7 == text.size() || !is_digit(text[k + 7]))) {
        std::string digits(text.substr(i, run));
        digits += text.substr(k, 3);
        digits += text.substr(k + 4, 3);
        f(i, k + 7, digits);
        i = k + 7;
        continue;
      }
    }
    i = j;
  }
}

} // namespace balie
