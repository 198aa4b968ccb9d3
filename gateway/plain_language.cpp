#include "gateway/plain_language.hpp"

#include <nlohmann/json.hpp>

#include <fstream>

namespace balie::gateway {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool letter_or_digit(char c) {
  auto const u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Sentences end at . ! ? followed by white space, or at an empty line.
std::vector<std::string_view> sentences(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool end = false;
    std::size_t next = i + 1;
    if ((text[i] == '.' || text[i] == '!' || text[i] == '?') && i + 1 < text.size() && space(text[i + 1])) end = true;
    if (text[i] == '\n') {
      auto j = i + 1;
      while (j < text.size() && space(text[j]) && text[j] != '\n') ++j;
      if (j < text.size() && text[j] == '\n') end = true, next = j + 1;
    }
    if (end) {
      out.push_back(text.substr(start, i + 1 - start));
      start = next;
      i = next - 1;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

/// The white-space separated words holding a letter or digit (punctuation stays on them).
std::vector<std::string_view> words_of(std::string_view sentence) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < sentence.size();) {
    while (i < sentence.size() && space(sentence[i])) ++i;
    auto const start = i;
    while (i < sentence.size() && !space(sentence[i])) ++i;
    auto const w = sentence.substr(start, i - start);
    if (std::any_of(w.begin(), w.end(), letter_or_digit)) out.push_back(w);
  }
  return out;
}

std::string first_words(std::vector<std::string_view> const& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size() && i < 5; ++i) out += (i ? " " : "") + std::string(words[i]);
  return out;
}

/// The word without punctuation around it, in lower case.
std::string bare(std::string_view w) {
  while (!w.empty() && !letter_or_digit(w.front())) w.remove_prefix(1);
  while (!w.empty() && !letter_or_digit(w.back())) w.remove_suffix(1);
  return lower(w);
}

/// A past participle as Dutch forms most: ge…d/t/en, or be-, ver-, ont-, her-, er- …d/t.
bool participle(std::string const& w) {
  if (w.size() >= 6 && w.starts_with("ge") && (w.ends_with("d") || w.ends_with("t") || w.ends_with("en"))) return true;
  for (std::string_view prefix : {"be", "ver", "ont", "her", "er"})
    if (w.size() >= prefix.size() + 4 && w.starts_with(prefix) && (w.ends_with("d") || w.ends_with("t"))) return true;
  return false;
}

/// "wordt/worden/werd/werden … participle", or "is/zijn/was/waren … participle … door": the helper verb and the participle.
std::string passive(std::vector<std::string_view> const& words) {
  std::string helper;
  bool door = false, strong = false;
  std::string found;
  for (auto const w : words) {
    auto const b = bare(w);
    if (b == "wordt" || b == "worden" || b == "werd" || b == "werden") helper = b, strong = true;
    else if (helper.empty() && (b == "is" || b == "zijn" || b == "was" || b == "waren")) helper = b;
    else if (b == "door") door = true;
    else if (!helper.empty() && found.empty() && participle(b)) found = b;
  }
  if (found.empty() || (!strong && !door)) return {};
  return helper + " " + found;
}

/// Whether `phrase` (lower case, words separated by single spaces) occurs in `text` as whole words.
bool contains_phrase(std::string const& text, std::string const& phrase) {
  for (std::size_t at = text.find(phrase.substr(0, phrase.find(' '))); at != std::string::npos; at = text.find(phrase.substr(0, phrase.find(' ')), at + 1)) {
    if (at > 0 && letter_or_digit(text[at - 1])) continue;
    // Match word by word, allowing any run of white space between them.
    std::size_t i = at, p = 0;
    while (p < phrase.size() && i < text.size()) {
      if (phrase[p] == ' ') {
        if (!space(text[i])) break;
        while (i < text.size() && space(text[i])) ++i;
        ++p;
      } else if (phrase[p] == text[i]) {
        ++p, ++i;
      } else {
        break;
      }
    }
    if (p == phrase.size() && (i == text.size() || !letter_or_digit(text[i]))) return true;
  }
  return false;
}

} // namespace

std::vector<plain_language_hint> plain_language_hints(std::string_view text, std::map<std::string, std::string> const& jargon) {
  std::vector<plain_language_hint> out;
  for (auto const s : sentences(text)) {
    auto const words = words_of(s);
    if (words.size() > max_sentence_words) out.push_back({"sentence", first_words(words), words.size(), {}, {}});
  }
  auto const folded = lower(text);
  for (auto const& [term, suggestion] : jargon)
    if (!term.empty() && contains_phrase(folded, term)) out.push_back({"jargon", {}, 0, term, suggestion});
  for (auto const s : sentences(text)) {
    auto const words = words_of(s);
    if (auto const p = passive(words); !p.empty()) out.push_back({"passive", first_words(words), 0, p, {}});
  }
  return out;
}

std::map<std::string, std::string> read_jargon(std::string const& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  if (!in) return out;
  auto const j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("words") || !j["words"].is_object()) return out;
  for (auto const& [k, v] : j["words"].items())
    if (v.is_string()) out[lower(k)] = v.get<std::string>();
  return out;
}

} // namespace balie::gateway
