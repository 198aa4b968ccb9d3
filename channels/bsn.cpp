#include "channels/bsn.hpp"

namespace balie {

bool passes_elfproef(std::string_view digits) {
  if (digits.size() != 8 && digits.size() != 9) return false;
  char d[9];
  std::size_t const pad = 9 - digits.size();
  for (std::size_t i = 0; i < 9; ++i) d[i] = i < pad ? '0' : digits[i - pad];
  long sum = 0;
  bool all_zero = true;
  for (int i = 0; i < 9; ++i) {
    if (d[i] < '0' || d[i] > '9') return false;
    int const v = d[i] - '0';
    all_zero = all_zero && v == 0;
    sum += (i < 8 ? (9 - i) : -1) * v;  // weights 9..2, then -1
  }
  return !all_zero && sum % 11 == 0;
}

bool contains_possible_bsn(std::string_view text) {
  bool found = false;
  for_each_digit_number(text, [&](std::size_t, std::size_t, std::string const& digits) {
    found = found || passes_elfproef(digits);
  });
  return found;
}

} // namespace balie
