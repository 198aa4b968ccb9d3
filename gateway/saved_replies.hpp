#pragma once
// Saved replies (text modules): a title and a text in Dutch (and optionally
// English), for one inbox or shared by all, with variables filled in from
// the case when staff pick one: {naam}, {referentie}, {antwoord_voor},
// {telefoonnummer}. A text with any other {variable}, or a brace that opens
// nothing, is refused when it is saved, not when a resident would read it.

#include "gateway/plain_language.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace balie::gateway {

inline constexpr std::string_view saved_reply_variables[] = {"naam", "referentie", "antwoord_voor", "telefoonnummer"};

struct saved_reply {
  std::string id;
  std::string title;
  std::optional<std::string> inbox;  ///< none: shared by every inbox
  std::string text_nl;
  std::optional<std::string> text_en;
  std::string updated_by;
  long long updated_at_ms = 0;
};

/// An id: 1 to 64 of a-z, 0-9 and '-'.
bool is_saved_reply_id(std::string_view);

/// What is wrong with a text's variables ("{adres}": unknown; "{": not closed); empty: nothing.
std::vector<std::string> variable_problems(std::string_view text);

/// `text` with each known {variable} replaced from `values`.
std::string fill_variables(std::string_view text, std::map<std::string, std::string> const& values);

/// The reply an admin sent (`{title, inbox?, text: {nl, en?}}`), or the problems, field by field (JSON pointer → why).
using field_problems = std::vector<std::pair<std::string, std::string>>;
std::variant<saved_reply, field_problems> read_saved_reply(nlohmann::json const& body, std::string const& id,
                                                           std::vector<std::string> const& inboxes);

nlohmann::json to_json(saved_reply const&);
/// A stored reply; nullopt when the stored JSON is not one (never a throw).
std::optional<saved_reply> stored_saved_reply(std::string const& json);

/// The hints as the API answers them.
nlohmann::json hints_json(std::vector<plain_language_hint> const&);

} // namespace balie::gateway
