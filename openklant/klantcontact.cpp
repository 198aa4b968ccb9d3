#include "openklant/klantcontact.hpp"

#include "channels/json_fields.hpp"

#include <algorithm>
#include <regex>

namespace balie::openklant {
using nlohmann::json;
using json_fields::text;
namespace {

constexpr std::size_t onderwerp_max = 200;
constexpr std::size_t inhoud_max = 1000;
constexpr std::size_t adres_max = 80;

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string trimmed(std::string_view s) {
  auto const first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

std::string first_line(std::string_view s) {
  auto const t = trimmed(s);
  return trimmed(std::string_view(t).substr(0, t.find('\n')));
}

bool flag(json const& object, char const* name) {
  auto const it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

/// The resident's address on the message's own channel, as a digitaal adres.
std::optional<json> address_for(json const& message, std::string const& channel, std::string const& platform) {
  auto const resident = message.find("resident");
  if (resident == message.end() || !resident->is_object()) return std::nullopt;
  auto const addresses = resident->find("addresses");
  if (addresses == resident->end() || !addresses->is_array()) return std::nullopt;
  for (auto const& a : *addresses) {
    auto const kind = text(a, "kind"), value = text(a, "value");
    if (channel == "email" && kind == "email" && code_points(value) <= adres_max && value.find('@') != std::string::npos)
      return json{{"adres", value}, {"soortDigitaalAdres", "email"}, {"omschrijving", "E-mail"}};
    if ((channel == "sms" || channel == "phone" || (channel == "messenger" && platform == "whatsapp")) &&
        (kind == "phone" || kind == "whatsapp")) {
      auto const phone = openklant_phone(value);
      if (phone.empty()) return std::nullopt;
      auto const what = channel == "sms" ? "SMS" : channel == "phone" ? "Telefoon" : "WhatsApp";
      return json{{"adres", phone}, {"soortDigitaalAdres", "telefoonnummer"}, {"omschrijving", what}};
    }
    if (channel == "messenger" && kind == "matrix" && code_points(value) <= adres_max)
      return json{{"adres", value}, {"soortDigitaalAdres", "overig"}, {"omschrijving", "Matrix"}};
  }
  return std::nullopt;  // a web chat has no address a resident knows: not a digitaal adres
}

} // namespace

std::string cut(std::string_view s, std::size_t max) {
  if (code_points(s) <= max) return std::string(s);
  std::size_t keep = max - 3, i = 0;
  for (; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && keep-- == 0) break;
  return std::string(s.substr(0, i)) + "...";
}

std::string openklant_phone(std::string_view raw) {
  std::string digits;
  for (char c : raw) {
    if (c == '+' && digits.empty()) digits += c;
    else if (c >= '0' && c <= '9') digits += c;
    else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') return {};
  }
  static std::regex const allowed(R"(^(0[1-9][0-9]{8}|\+[0-9]{9,15}|00[0-9]{7,13})$)");
  if (!std::regex_match(digits, allowed)) return {};
  for (auto const* service : {"0800", "0900", "140"})
    if (digits.rfind(service, 0) == 0) return {};
  return digits;
}

std::optional<contact_moment> contact_moment_for(json const& message, case_facts const& c, json const& delivery,
                                                 std::string const& answers, openklant_config const& config) {
  if (!message.is_object() || flag(message, "auto_generated")) return std::nullopt;
  auto const channel = text(message, "channel");
  auto const id = text(message, "id");
  auto const occurred = parse_rfc3339(text(message, "occurred_at"));
  if (channel.empty() || id.empty() || !occurred) return std::nullopt;
  auto const provider = text(message, "provider");
  auto const platform = provider.rfind("matrix", 0) == 0 ? "matrix" : provider.rfind("whatsapp", 0) == 0 ? "whatsapp" : "";
  auto const label = config.kanalen.find(channel == "messenger" ? platform : channel);
  if (label == config.kanalen.end()) return std::nullopt;
  bool const inbound = text(message, "direction") == "inbound";

  contact_moment m{id, label->second, *occurred, {}, address_for(message, channel, platform), {}};
  std::string onderwerp;
  for (auto const& candidate : {trimmed(text(message, "subject")), trimmed(c.subject), first_line(text(message, "text"))})
    if (onderwerp.empty()) onderwerp = candidate;
  if (onderwerp.empty()) onderwerp = "Contact via " + label->second;
  auto const full = text(message, "text");
  std::string taal = "nld";
  if (auto const r = message.find("resident"); r != message.end() && r->is_object()) {
    auto const l = text(*r, "language");
    if (l.size() == 3 && std::all_of(l.begin(), l.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; })) taal = l;
  }
  bool confidential = c.confidential;
  if (auto const k = message.find("classification"); k != message.end() && k->is_object())
    confidential = confidential || flag(*k, "confidential") || flag(*k, "possible_bsn");

  json klantcontact = {{"kanaal", m.kanaal},
                       {"onderwerp", cut(onderwerp, onderwerp_max)},
                       {"inhoud", cut(full, inhoud_max)},
                       {"referentienummer", c.reference},
                       {"taal", taal},
                       {"vertrouwelijk", confidential},
                       {"plaatsgevondenOp", format_rfc3339(*occurred)},
                       {"metadata", {{"gw.bericht", id}, {"gw.kanaal", channel}}}};
  if (!provider.empty()) klantcontact["metadata"]["gw.aanbieder"] = cut(provider, 255);
  // The resident reached the municipality; a reply reached the resident as far as its delivery report says.
  auto const status = delivery.is_object() ? text(delivery, "status") : std::string{};
  if (inbound) klantcontact["indicatieContactGelukt"] = true;
  else if (status == "sent" || status == "delivered" || status == "read") klantcontact["indicatieContactGelukt"] = true;
  else if (status == "failed" || status == "expired") klantcontact["indicatieContactGelukt"] = false;

  json onderwerpobject = {{"onderwerpobjectidentificator",
                           {{"objectId", c.case_id}, {"codeObjecttype", "gesprek"}, {"codeRegister", config.register_code},
                            {"codeSoortObjectId", "id"}}}};
  if (!answers.empty()) onderwerpobject["wasKlantcontact"] = {{"uuid", answers}};
  m.request = {{"klantcontact", std::move(klantcontact)},
               {"betrokkene", {{"rol", "klant"}, {"initiator", inbound}}},
               {"onderwerpobject", std::move(onderwerpobject)}};

  if (code_points(full) > inhoud_max)
    m.attachments.push_back(
        {{"objectId", id}, {"codeObjecttype", "volledige-tekst"}, {"codeRegister", config.register_code}, {"codeSoortObjectId", "id"}});
  if (auto const files = message.find("attachments"); files != message.end() && files->is_array())
    for (auto const& f : *files)
      if (auto const sha = text(f, "sha256"); !sha.empty())
        m.attachments.push_back(
            {{"objectId", sha}, {"codeObjecttype", "bestand"}, {"codeRegister", config.register_code}, {"codeSoortObjectId", "sha256"}});
  return m;
}

} // namespace balie::openklant
