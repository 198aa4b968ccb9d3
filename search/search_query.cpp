#include "search/search_query.hpp"

#include "channels/addresses.hpp"
#include "routing/dutch_words.hpp"
#include "search/index_terms.hpp"

#include <algorithm>

namespace balie::search {
namespace {

std::string_view trimmed(std::string_view s) {
  auto const first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

/// Six characters of a reference as Crockford's base 32 reads them; nullopt when one is not.
std::optional<std::string> reference_body(std::string_view s) {
  if (s.size() != 6) return std::nullopt;
  std::string out;
  for (char c : s) {
    c = upper(c);
    if (c == 'O') c = '0';
    else if (c == 'I' || c == 'L') c = '1';
    bool const digit = c >= '0' && c <= '9', letter = c >= 'A' && c <= 'Z' && c != 'U';
    if (!digit && !letter) return std::nullopt;
    out += c;
  }
  return out;
}

/// Digits as phone numbers are written: `+31…`, `06…`, `0031…`, `(06)…`; bare digits (a BSN, an account) are none.
bool looks_like_phone_number(std::string_view s) {
  if (s.empty() || (s[0] != '+' && s[0] != '0' && s[0] != '(')) return false;
  std::size_t digits = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') ++digits;
    else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') return false;
  }
  return digits >= 8;
}

} // namespace

search_query read_search_query(std::string_view text) {
  search_query q;
  auto const s = trimmed(text);
  // BL-MZFZ8T and BL MZFZ8T are a reference and nothing else; BLMZFZ8T may also be a word.
  if (s.size() >= 8 && upper(s[0]) == 'B' && upper(s[1]) == 'L') {
    auto rest = s.substr(2);
    bool const separated = rest[0] == '-' || rest[0] == ' ';
    if (separated) rest.remove_prefix(1);
    if (auto const body = reference_body(rest)) {
      q.reference = "BL-" + *body;
      if (separated) return q;
    }
  }
  if (looks_like_phone_number(s)) {
    if (auto const p = read_phone_number(s); p.error == phone_number::problem::none) q.address = address_token(s);
    return q;
  }
  bool const matrix_id = s.starts_with('@') && s.find(':') != std::string_view::npos;
  if (matrix_id || s.find('@') != std::string_view::npos) {
    std::string lower(s);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    if (matrix_id || is_valid_email_address(lower)) {
      q.address = address_token(lower);
      return q;
    }
  }
  // Six characters may be a reference without its prefix, and are a word as well.
  if (auto const body = reference_body(s)) q.reference = "BL-" + *body;
  routing::for_each_word(s, [&](std::string_view w) {
    auto token = word_token(w);
    if (token.empty() || q.words.size() >= max_query_words || std::find(q.words.begin(), q.words.end(), token) != q.words.end()) return;
    q.stems.push_back(token.substr(2));
    q.words.push_back(std::move(token));
  });
  return q;
}

} // namespace balie::search
