#include "channels/messenger/reply_rules.hpp"

#include "channels/bsn.hpp"
#include "channels/text.hpp"

namespace balie::messenger {
namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || static_cast<unsigned char>(c) >= 0x80; }

/// `word` in `lower` with no letter directly before or after it.
bool has_word(std::string const& lower, std::string_view word) {
  for (auto at = lower.find(word); at != std::string::npos; at = lower.find(word, at + 1)) {
    bool const before = at > 0 && is_letter(lower[at - 1]);
    bool const after = at + word.size() < lower.size() && is_letter(lower[at + word.size()]);
    if (!before && !after) return true;
  }
  return false;
}

} // namespace

bool mentions_bsn(std::string_view text) {
  if (contains_possible_bsn(text)) return true;
  auto const lower = ascii_lower(text);
  // "burgerservicenummer" also inside compounds ("uw burgerservicenummers"); "bsn" only as a word ("bsn-nummer" is one).
  return lower.find("burgerservicenummer") != std::string::npos || has_word(lower, "bsn");
}

bool window_open(std::optional<timestamp> last_inbound, timestamp now) {
  return last_inbound && now - *last_inbound < whatsapp_window;
}

} // namespace balie::messenger
