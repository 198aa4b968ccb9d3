#include "channels/email/reply_text.hpp"

#include <array>
#include <regex>
#include <vector>

namespace balie::email {
namespace {

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> lines;
  std::string line;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char const c = s[i];
    if (c == '\r' || c == '\n') {
      lines.push_back(std::move(line));
      line.clear();
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      line += c;
    }
  }
  lines.push_back(std::move(line));
  return lines;
}

std::string without_trailing_space(std::string line) {
  // U+00A0 (no-break space) is two bytes in UTF-8: C2 A0.
  for (std::size_t pos; (pos = line.find("\xC2\xA0")) != std::string::npos;) line.replace(pos, 2, " ");
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\f' || line.back() == '\v')) line.pop_back();
  return line;
}

std::string_view leading_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

/// "Op … schreef …:" and its English, French and German forms, on one line or
/// wrapped over two (Gmail wraps long ones).
bool is_attribution(std::string_view line) {
  static std::regex const patterns(
      R"(^(Op .+ schreef .*:|On .+ wrote:|Le .+ a (?:\xC3\xA9|e)crit ?:|Am .+ schrieb .*:)$)",
      std::regex::optimize);
  // Bound the input: an attribution line is short, and std::regex recurses.
  return line.size() < 400 && std::regex_match(line.begin(), line.end(), patterns);
}

bool is_separator(std::string_view t) {
  static constexpr std::array<std::string_view, 6> separators = {
      "-----Oorspronkelijk bericht-----", "-----Original Message-----", "---------- Doorgestuurd bericht ---------",
      "---------- Forwarded message ---------", "Begin doorgestuurd bericht:", "Begin forwarded message:"};
  for (auto s : separators)
    if (starts_with(t, s)) return true;
  if (t.size() >= 20 && t.find_first_not_of('_') == std::string_view::npos) return true;
  return false;
}

bool header_block(std::vector<std::string> const& lines, std::size_t i) {
  auto const first = leading_trimmed(lines[i]);
  bool const nl = starts_with(first, "Van:") || starts_with(first, "*Van:*");
  bool const en = starts_with(first, "From:") || starts_with(first, "*From:*");
  if (!nl && !en) return false;
  for (std::size_t j = i + 1; j < lines.size() && j <= i + 4; ++j) {
    auto const l = leading_trimmed(lines[j]);
    if (nl && (starts_with(l, "Verzonden:") || starts_with(l, "Datum:") || starts_with(l, "*Verzonden:*"))) return true;
    if (en && (starts_with(l, "Sent:") || starts_with(l, "Date:") || starts_with(l, "*Sent:*"))) return true;
  }
  return false;
}

bool is_signature_start(std::string_view line) {
  static constexpr std::array<std::string_view, 9> phones = {
      "Verstuurd vanaf mijn iPhone", "Verstuurd vanaf mijn iPad", "Verzonden vanuit Outlook voor iOS",
      "Verzonden vanuit Outlook voor Android", "Verstuurd vanaf mijn Samsung Galaxy smartphone.", "Sent from my iPhone",
      "Sent from my iPad", "Sent from my Android", "Get Outlook for iOS"};
  if (line == "-- " || line == "--") return true;
  auto const t = leading_trimmed(line);
  for (auto p : phones)
    if (t == p) return true;
  return false;
}

} // namespace

std::string tidy_text(std::string_view s) {
  std::string out;
  bool blank_pending = false;
  for (auto& raw : split_lines(s)) {
    auto line = without_trailing_space(std::move(raw));
    if (line.empty()) {
      blank_pending = !out.empty();
      continue;
    }
    if (blank_pending) out += "\n\n";
    else if (!out.empty()) out += '\n';
    out += line;
    blank_pending = false;
  }
  return out;
}

std::string own_words(std::string_view body) {
  auto lines = split_lines(body);
  std::size_t end = lines.size();
  for (std::size_t i = 0; i < lines.size() && end == lines.size(); ++i) {
    auto const raw = std::string_view(lines[i]);
    auto const tidy = without_trailing_space(lines[i]);
    auto const t = leading_trimmed(tidy);
    // The signature delimiter is exact ("-- "), so test it before trimming.
    if (is_signature_start(raw) || is_signature_start(tidy)) end = i;
    else if (is_separator(t) || header_block(lines, i) || is_attribution(t)) end = i;
    else if (i + 1 < lines.size() && starts_with(t, "Op ") && is_attribution(std::string(t) + " " + std::string(leading_trimmed(lines[i + 1]))))
      end = i;
    else if (i + 1 < lines.size() && starts_with(t, "On ") && is_attribution(std::string(t) + " " + std::string(leading_trimmed(lines[i + 1]))))
      end = i;
  }
  std::string kept;
  for (std::size_t i = 0; i < end; ++i) {
    if (starts_with(lines[i], ">")) continue;
    kept += lines[i];
    kept += '\n';
  }
  return tidy_text(kept);
}

} // namespace balie::email
