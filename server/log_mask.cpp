// Three passes over the text, each replacing what it finds with a marker:
// email addresses ("[email]"), IBANs ("[iban]"), then digit runs of 8 or more
// digits, allowing the separators people write numbers with ("[number]").
#include "server/log_mask.hpp"

namespace balie::server {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z'); }
bool is_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_domain_char(char c) { return is_alnum(c) || c == '.' || c == '-' || static_cast<unsigned char>(c) >= 0x80; }

std::string mask_emails(std::string_view s) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
    std::size_t b = at;
    while (b > copied && is_local_char(s[b - 1])) --b;
    std::size_t e = at + 1;
    while (e < s.size() && is_domain_char(s[e])) ++e;
    auto const domain = s.substr(at + 1, e - at - 1);
    if (b == at || domain.find('.') == std::string_view::npos) continue;
    out.append(s.substr(copied, b - copied));
    out += "[email]";
    copied = e;
    at = e - 1;
  }
  out.append(s.substr(copied));
  return out;
}

/// IBAN: two letters, two digits, then 11-30 letters or digits, optionally in groups of four.
std::string mask_ibans(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 4 <= s.size() && is_upper(s[i]) && is_upper(s[i + 1]) && is_digit(s[i + 2]) && is_digit(s[i + 3]) &&
        (i == 0 || !is_alnum(s[i - 1]))) {
      std::size_t j = i + 4, chars = 0;
      while (j < s.size() && (is_upper(s[j]) || is_digit(s[j]) || (s[j] == ' ' && j + 1 < s.size() && is_alnum(s[j + 1])))) {
        if (s[j] != ' ') ++chars;
        ++j;
      }
      if (chars >= 11 && chars <= 30) {
        out += "[iban]";
        i = j;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

/// Runs of digits with optional '+' and separators ( .-/()) holding 8+ digits.
std::string mask_digit_runs(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  auto is_sep = [](char c) { return c == ' ' || c == '.' || c == '-' || c == '/' || c == '(' || c == ')'; };
  while (i < s.size()) {
    if (is_digit(s[i]) || (s[i] == '+' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      std::size_t j = i + (s[i] == '+' ? 1 : 0), digits = 0, last_digit = j;
      while (j < s.size() && (is_digit(s[j]) || (is_sep(s[j]) && j + 1 < s.size() && (is_digit(s[j + 1]) || is_sep(s[j + 1]))))) {
        if (is_digit(s[j])) ++digits, last_digit = j;
        ++j;
      }
      if (digits >= 8) {
        out += "[number]";
        i = last_digit + 1;
        continue;
      }
      out.append(s.substr(i, j - i));
      i = j;
      continue;
    }
    out += s[i++];
  }
  return out;
}

} // namespace

std::string mask_personal_data(std::string_view s) { return mask_digit_runs(mask_ibans(mask_emails(s))); }

} // namespace balie::server
