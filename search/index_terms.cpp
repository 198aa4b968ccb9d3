#include "search/index_terms.hpp"

#include "channels/addresses.hpp"
#include "channels/text.hpp"
#include "routing/dutch_words.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace balie::search {
namespace {

/// Longer words are no words people search for (a link, an encoded blob).
constexpr std::size_t max_word_bytes = 40;
/// A word with this many digits may be a BSN, an account or a phone number: never a key.
constexpr std::ptrdiff_t digits_never_indexed = 6;
/// Distinct words remembered per thread with their stems.
constexpr std::size_t stem_cache_words = 100'000;

/// Snowball's Dutch stop words: in nearly every message, so they find nothing.
bool is_stop_word(std::string_view w) {
  static std::unordered_set<std::string_view> const words = {
      "de",    "en",   "van",   "ik",    "te",   "dat",   "die",    "in",    "een",   "hij",    "het",   "niet", "zijn",   "is",
      "was",   "op",   "aan",   "met",   "als",  "voor",  "had",    "er",    "maar",  "om",     "hem",   "dan",  "zou",    "of",
      "wat",   "mijn", "men",   "dit",   "zo",   "door",  "over",   "ze",    "zich",  "bij",    "ook",   "tot",  "je",     "mij",
      "uit",   "der",  "daar",  "haar",  "naar", "heb",   "hoe",    "heeft", "hebben", "deze",  "u",     "want", "nog",    "zal",
      "me",    "zij",  "nu",    "ge",    "geen", "omdat", "iets",   "worden", "toch", "al",     "waren", "veel", "meer",   "doen",
      "toen",  "moet", "ben",   "zonder", "kan", "hun",   "dus",    "alles", "onder", "ja",     "eens",  "hier", "wie",    "werd",
      "altijd", "doch", "wordt", "wezen", "kunnen", "ons", "zelf",  "tegen", "na",    "reeds",  "wil",   "kon",  "niets",  "uw",
      "iemand", "geweest", "andere", "we",  "wij",  "onze",  "wel",   "bl"};  // bl: the prefix of every reference in a subject
  return words.contains(w);
}

/// The stem of a folded word, remembered per thread: the same words come back in every message.
std::string const& cached_stem(std::string_view word) {
  thread_local std::unordered_map<std::string, std::string, routing::word_hash, std::equal_to<>> cache;
  if (auto const it = cache.find(word); it != cache.end()) return it->second;
  if (cache.size() >= stem_cache_words) cache.clear();  // a bound, not an eviction policy: refilled in a few messages
  return cache.emplace(std::string(word), routing::stem(word)).first->second;
}

} // namespace

std::string word_token(std::string_view w) {
  if (w.empty() || w.size() > max_word_bytes || is_stop_word(w)) return {};
  if (std::count_if(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; }) >= digits_never_indexed) return {};
  return "w:" + cached_stem(w);
}

std::string address_token(std::string_view address) {
  std::string normal;
  if (auto const phone = read_phone_number(address); phone.error == phone_number::problem::none) normal = phone.e164;
  else
    for (char c : address) normal += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return "a:" + sha256_hex(normal);
}

std::vector<std::string> index_tokens(case_message const& m) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> out;
  auto add = [&](std::string token) {
    if (!token.empty() && out.size() < max_tokens && seen.insert(token).second) out.push_back(std::move(token));
  };
  for (auto const& a : m.resident.addresses)
    if (!a.value.empty()) add(address_token(a.value));
  auto words = [&](std::string_view text) { routing::for_each_word(text, [&](std::string_view w) { add(word_token(w)); }); };
  if (m.resident.name) words(*m.resident.name);
  if (m.subject) words(*m.subject);
  words(m.text);
  return out;
}

} // namespace balie::search
