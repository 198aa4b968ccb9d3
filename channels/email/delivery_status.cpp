#include "channels/email/delivery_status.hpp"

#include "channels/text.hpp"

#include <map>
#include <regex>
#include <vector>

namespace balie::email {
namespace {

using group = std::map<std::string, std::string>;

/// Header groups; folded lines are joined, names lower-cased. Tolerates a
/// missing blank line after the per-message group (a second
/// Final-Recipient/Original-Recipient starts a new group).
std::vector<group> groups(std::string_view body) {
  std::vector<group> out(1);
  std::string last;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    auto const nl = body.find('\n', pos);
    auto line = body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? body.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) {
      if (!out.back().empty()) out.emplace_back();
      last.clear();
      continue;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !last.empty()) {
      out.back()[last] += " " + std::string(trim(line));
      continue;
    }
    auto const colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto name = ascii_lower(trim(line.substr(0, colon)));
    bool const recipient_field = name == "final-recipient" || name == "original-recipient";
    if (recipient_field && (out.back().count("reporting-mta") || out.back().count(name))) out.emplace_back();
    out.back()[name] = std::string(trim(line.substr(colon + 1)));
    last = name;
  }
  return out;
}

/// "rfc822; a@b" → "a@b"; "smtp; 550 …" → "550 …".
std::string without_type(std::string const& v) {
  auto const semi = v.find(';');
  return std::string(trim(semi == std::string::npos ? std::string_view(v) : std::string_view(v).substr(semi + 1)));
}

} // namespace

std::optional<delivery_report> parse_delivery_status(std::string_view body) {
  std::optional<delivery_report> best;
  for (auto const& g : groups(body)) {
    auto const action = g.find("action");
    if (action == g.end() || !g.count("final-recipient")) continue;
    delivery_report r;
    r.action = ascii_lower(action->second);
    if (auto s = g.find("status"); s != g.end()) r.status = std::string(trim(std::string_view(s->second).substr(0, s->second.find(' '))));
    r.recipient = without_type(g.at("final-recipient"));
    if (auto d = g.find("diagnostic-code"); d != g.end()) r.diagnostic = without_type(d->second);
    if (r.action == "failed") return r;
    if (!best && r.action == "delayed") best = r;
  }
  return best;
}

std::optional<delivery_report> guess_delivery_failure(std::string_view text) {
  static std::regex const status(R"(\b([45])\.(\d{1,3})\.(\d{1,3})\b)");
  // Bound the scan: the status is near the top of any notice.
  auto const head = std::string(text.substr(0, 20000));
  std::smatch m;
  if (!std::regex_search(head, m, status)) return std::nullopt;
  delivery_report r;
  r.status = m.str(0);
  r.action = m.str(1) == "5" ? "failed" : "delayed";
  r.heuristic = true;
  auto const line_start = head.rfind('\n', static_cast<std::size_t>(m.position(0)));
  auto const line_end = head.find('\n', static_cast<std::size_t>(m.position(0)));
  r.diagnostic = std::string(trim(std::string_view(head).substr(line_start == std::string::npos ? 0 : line_start + 1,
                                                                  line_end == std::string::npos ? std::string::npos
                                                                                                : line_end - (line_start == std::string::npos ? 0 : line_start + 1))));
  return r;
}

} // namespace balie::email
