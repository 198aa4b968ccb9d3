#include "channels/addresses.hpp"

#include <algorithm>

namespace balie {

bool is_valid_email_address(std::string_view a) {
  if (a.size() > 254) return false;
  auto const at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() || at > 64) return false;
  auto const local = a.substr(0, at), domain = a.substr(at + 1);
  auto const printable = [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7F; };
  if (!std::all_of(local.begin(), local.end(), printable)) return false;
  if (local.find_first_of("<>()[],;:\\\"@") != std::string_view::npos) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.') return false;
  std::size_t label = 0;
  for (char c : domain) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || u >= 0x80;
    if (!ok || ++label > 63) return false;
  }
  return true;
}

bool is_e164(std::string_view n) {
  if (n.size() < 9 || n.size() > 16 || n[0] != '+' || n[1] == '0') return false;
  return std::all_of(n.begin() + 1, n.end(), [](char c) { return c >= '0' && c <= '9'; });
}

phone_number read_phone_number(std::string_view v) {
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char const c = v[i];
    if (c >= '0' && c <= '9') digits += c;
    else if (c == '+' && i == 0) plus = true;
    else if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.') continue;
    else return {{}, phone_number::problem::not_digits};
  }
  std::string e164;
  if (plus) e164 = "+" + digits;
  else if (digits.rfind("00", 0) == 0) e164 = "+" + digits.substr(2);
  else if (digits.rfind("0", 0) == 0) e164 = "+31" + digits.substr(1);
  else e164 = "+" + digits;
  if (e164.size() < 9 || e164.size() > 16) return {{}, phone_number::problem::wrong_length};  // E.164: 8 to 15 digits
  if (e164[1] == '0') return {{}, phone_number::problem::no_country_code};  // "+0…", "000…": no country starts with 0
  return {std::move(e164), phone_number::problem::none};
}

} // namespace balie
