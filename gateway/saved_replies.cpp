#include "gateway/saved_replies.hpp"

#include "channels/text.hpp"

#include <algorithm>

namespace balie::gateway {
namespace {

constexpr std::size_t max_title = 100, max_text = 5000;

bool known_variable(std::string_view name) {
  return std::find(std::begin(saved_reply_variables), std::end(saved_reply_variables), name) != std::end(saved_reply_variables);
}

std::optional<std::string> string_field(nlohmann::json const& j, char const* key) {
  auto const it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

} // namespace

bool is_saved_reply_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::vector<std::string> variable_problems(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      out.push_back("a } that closes nothing at character " + std::to_string(i + 1));
      continue;
    }
    if (text[i] != '{') continue;
    auto const end = text.find('}', i);
    if (end == std::string_view::npos) {
      out.push_back("a { that is never closed at character " + std::to_string(i + 1));
      break;
    }
    auto const name = text.substr(i + 1, end - i - 1);
    if (!known_variable(name)) out.push_back("unknown variable {" + std::string(name) + "}");
    i = end;
  }
  return out;
}

std::string fill_variables(std::string_view text, std::map<std::string, std::string> const& values) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto const end = text[i] == '{' ? text.find('}', i) : std::string_view::npos;
    if (end != std::string_view::npos) {
      if (auto const v = values.find(std::string(text.substr(i + 1, end - i - 1))); v != values.end()) {
        out += v->second;
        i = end;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::variant<saved_reply, field_problems> read_saved_reply(nlohmann::json const& body, std::string const& id,
                                                           std::vector<std::string> const& inboxes) {
  field_problems problems;
  if (!body.is_object()) return field_problems{{"/", "must be a JSON object"}};
  for (auto const& [key, value] : body.items())
    if (key != "title" && key != "inbox" && key != "text") problems.emplace_back("/" + key, "unknown field");
  saved_reply r;
  r.id = id;
  auto const title = string_field(body, "title");
  if (!title || title->empty() || title->size() > max_title || !is_valid_utf8(*title))
    problems.emplace_back("/title", "a text of 1 to 100 bytes is required");
  else
    r.title = *title;
  if (body.contains("inbox") && !body["inbox"].is_null()) {
    auto const inbox = string_field(body, "inbox");
    if (!inbox || std::find(inboxes.begin(), inboxes.end(), *inbox) == inboxes.end())
      problems.emplace_back("/inbox", "must be a configured inbox, or null for a reply every inbox shares");
    else
      r.inbox = *inbox;
  }
  auto const text = body.find("text");
  if (text == body.end() || !text->is_object()) {
    problems.emplace_back("/text", "an object with the Dutch text (nl) and optionally the English (en) is required");
  } else {
    for (auto const& [language, value] : text->items()) {
      if (language != "nl" && language != "en") {
        problems.emplace_back("/text/" + language, "only nl and en");
        continue;
      }
      if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>().size() > max_text ||
          !is_valid_utf8(value.get<std::string>())) {
        problems.emplace_back("/text/" + language, "a text of 1 to 5000 bytes");
        continue;
      }
      auto const s = value.get<std::string>();
      for (auto const& p : variable_problems(s)) problems.emplace_back("/text/" + language, p + " (known: {naam}, {referentie}, {antwoord_voor}, {telefoonnummer})");
      (language == "nl" ? r.text_nl : r.text_en.emplace()) = s;
    }
    if (!text->contains("nl")) problems.emplace_back("/text/nl", "the Dutch text is required");
  }
  if (!problems.empty()) return problems;
  return r;
}

nlohmann::json to_json(saved_reply const& r) {
  nlohmann::json text = {{"nl", r.text_nl}};
  if (r.text_en) text["en"] = *r.text_en;
  return {{"id", r.id},
          {"title", r.title},
          {"inbox", r.inbox ? nlohmann::json(*r.inbox) : nlohmann::json(nullptr)},
          {"text", std::move(text)},
          {"updated_by", r.updated_by},
          {"updated_at_ms", r.updated_at_ms}};
}

std::optional<saved_reply> stored_saved_reply(std::string const& json) {
  auto const j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto const id = string_field(j, "id");
  if (!id || !is_saved_reply_id(*id)) return std::nullopt;
  nlohmann::json body = nlohmann::json::object();
  for (auto const* key : {"title", "inbox", "text"})
    if (auto const it = j.find(key); it != j.end()) body[key] = *it;
  // The inbox of a stored reply is checked against the configuration when it is shown, not here.
  auto const inbox = string_field(j, "inbox");
  auto read = read_saved_reply(body, *id, inbox ? std::vector<std::string>{*inbox} : std::vector<std::string>{});
  auto* r = std::get_if<saved_reply>(&read);
  if (!r) return std::nullopt;
  r->updated_by = string_field(j, "updated_by").value_or("");
  auto const at = j.find("updated_at_ms");
  if (at != j.end() && at->is_number_integer()) r->updated_at_ms = at->get<long long>();
  return std::move(*r);
}

nlohmann::json hints_json(std::vector<plain_language_hint> const& hints) {
  nlohmann::json out = nlohmann::json::array();
  for (auto const& h : hints) {
    nlohmann::json j = {{"kind", h.kind}};
    if (h.kind == "sentence") j["words"] = h.words, j["start"] = h.start;
    if (h.kind == "jargon") j["word"] = h.word, j["suggestion"] = h.suggestion;
    if (h.kind == "passive") j["word"] = h.word, j["start"] = h.start;
    out.push_back(std::move(j));
  }
  return out;
}

} // namespace balie::gateway
