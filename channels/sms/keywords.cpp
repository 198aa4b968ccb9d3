#include "channels/sms/keywords.hpp"

#include "channels/text.hpp"

#include <array>

namespace balie::sms {
namespace {

constexpr std::array<std::string_view, 4> opt_out_words = {"stop", "uit", "stoppen", "afmelden"};
constexpr std::array<std::string_view, 2> opt_in_words = {"start", "aan"};

} // namespace

keyword keyword_of(std::string_view text) {
  auto t = trim(text);
  while (!t.empty() && (t.back() == '.' || t.back() == '!')) t.remove_suffix(1);
  auto const word = ascii_lower(trim(t));
  for (auto const w : opt_out_words)
    if (word == w) return keyword::opt_out;
  for (auto const w : opt_in_words)
    if (word == w) return keyword::opt_in;
  return keyword::none;
}

} // namespace balie::sms
