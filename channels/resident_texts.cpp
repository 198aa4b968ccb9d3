#include "channels/resident_texts.hpp"

#include "channels/config_reader.hpp"
#include "channels/text.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace balie::channels {
namespace {

/// Every text Balie sends by itself, and the variables it may use.
std::map<std::string, std::set<std::string>, std::less<>> const known = {
    {"acknowledgement.subject", {"reference"}},
    {"acknowledgement.letter", {"reference", "answer_by", "situation", "human_route"}},
    {"acknowledgement.short", {"reference", "answer_by", "situation", "human_route"}},
    {"acknowledgement.situation.outside_hours", {}},
    {"acknowledgement.situation.switched_off", {"notice"}},
    {"acknowledgement.short.situation.outside_hours", {}},
    {"acknowledgement.short.situation.switched_off", {"notice"}},
    {"contact.human_route", {}},
    {"contact.human_route.short", {}},
    {"contact.phone_number", {}},  // what {telefoonnummer} becomes in a saved reply
    {"email.reply.subject", {}},
    {"email.switched_off.notice", {}},
    {"messenger.switched_off.notice", {}},
    {"messenger.whatsapp.privacy_notice", {}},  // a resident's first WhatsApp contact: what Meta sees, and the other ways in
    {"sms.opt_in.confirmation", {}},
    {"sms.opt_out.confirmation", {}},
    {"sms.switched_off.notice", {}},
};

std::map<std::string, std::string, std::less<>> read_texts(std::filesystem::path const& file, bool required) {
  std::map<std::string, std::string, std::less<>> out;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (required) fail(file.string(), "cannot be read");
    return out;
  }
  auto const j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) fail(file.string(), "expected a JSON object of texts");
  for (auto const& [key, value] : j.items()) {
    auto const where = file.string() + ": " + key;
    auto const k = known.find(key);
    if (k == known.end()) fail(where, "unknown text");
    if (!value.is_string() || value.get<std::string>().empty()) fail(where, "expected a text");
    auto const t = value.get<std::string>();
    if (!is_valid_utf8(t)) fail(where, "not valid UTF-8");
    for (std::size_t at = t.find('{'); at != std::string::npos; at = t.find('{', at + 1)) {
      auto const end = t.find('}', at);
      if (end == std::string::npos || !k->second.count(t.substr(at + 1, end - at - 1))) {
        std::string allowed;
        for (auto const& v : k->second) allowed += (allowed.empty() ? "{" : ", {") + v + "}";
        fail(where, "unknown variable at character " + std::to_string(at) + " (allowed: " + (allowed.empty() ? "none" : allowed) + ")");
      }
    }
    out.emplace(key, t);
  }
  if (required)
    for (auto const& [key, vars] : known)
      if (!out.count(key)) fail(file.string() + ": " + key, "missing");
  return out;
}

} // namespace

resident_texts resident_texts::load(std::filesystem::path const& dir) {
  resident_texts t;
  t.nl_ = read_texts(dir / "nl.json", true);
  t.en_ = read_texts(dir / "en.json", false);
  return t;
}

std::string resident_texts::text(std::string_view key, std::string_view language,
                                 std::map<std::string, std::string, std::less<>> const& values) const {
  auto it = language == "en" ? en_.find(key) : en_.end();
  if (it == en_.end()) it = nl_.find(key);
  if (it == nl_.end()) return {};  // load() made sure every known text is there
  std::string out;
  auto const& t = it->second;
  for (std::size_t at = 0; at < t.size();) {
    auto const open = t.find('{', at);
    out.append(t, at, open == std::string::npos ? std::string::npos : open - at);
    if (open == std::string::npos) break;
    auto const close = t.find('}', open);
    auto const v = values.find(std::string_view(t).substr(open + 1, close - open - 1));
    if (v != values.end()) out += v->second;
    at = close + 1;
  }
  return out;
}

} // namespace balie::channels
