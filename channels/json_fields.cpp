#include "channels/json_fields.hpp"

#include <nlohmann/json.hpp>

namespace balie::json_fields {
namespace {

rejection wrong_type(std::string_view parent, std::string_view name, std::string_view want) {
  return reject(400, "invalid-request", "The field '" + std::string(name) + "' must be " + std::string(want) + ".",
                field_name(parent, name));
}

/// The field, or nullptr when absent or null. `object` must be an object.
nlohmann::json const* find(nlohmann::json const& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  auto const it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

} // namespace

std::string field_name(std::string_view parent, std::string_view name) {
  return parent.empty() ? std::string(name) : std::string(parent) + "." + std::string(name);
}

outcome<std::optional<std::string>> optional_string(nlohmann::json const& object, std::string_view name, std::string_view parent) {
  auto const* v = find(object, name);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return wrong_type(parent, name, "text");
  return std::optional<std::string>{v->get_ref<std::string const&>()};
}

outcome<std::string> required_string(nlohmann::json const& object, std::string_view name, std::string_view parent) {
  auto v = optional_string(object, name, parent);
  if (!v) return v.error();
  if (!*v) return reject(400, "invalid-request", "The field '" + std::string(name) + "' is missing.", field_name(parent, name));
  return std::move(**v);
}

std::string text(nlohmann::json const& object, std::string_view name) {
  auto const* v = object.is_object() ? find(object, name) : nullptr;
  return v && v->is_string() ? v->get<std::string>() : std::string{};
}

outcome<std::string> string_or(nlohmann::json const& object, std::string_view name, std::string_view fallback, std::string_view parent) {
  auto v = optional_string(object, name, parent);
  if (!v) return v.error();
  return *v ? std::move(**v) : std::string(fallback);
}

outcome<std::optional<std::int64_t>> optional_integer(nlohmann::json const& object, std::string_view name, std::string_view parent) {
  auto const* v = find(object, name);
  if (!v) return std::optional<std::int64_t>{};
  // nlohmann keeps numbers above int64 as unsigned or as a float: both are out of range here.
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    return wrong_type(parent, name, "a whole number within range");
  if (!v->is_number_integer()) return wrong_type(parent, name, "a whole number");
  return std::optional<std::int64_t>{v->get<std::int64_t>()};
}

outcome<std::optional<bool>> optional_boolean(nlohmann::json const& object, std::string_view name, std::string_view parent) {
  auto const* v = find(object, name);
  if (!v) return std::optional<bool>{};
  if (!v->is_boolean()) return wrong_type(parent, name, "true or false");
  return std::optional<bool>{v->get<bool>()};
}

outcome<std::vector<std::string>> string_array(nlohmann::json const& object, std::string_view name, std::string_view parent) {
  std::vector<std::string> out;
  auto const* v = find(object, name);
  if (!v) return out;
  if (!v->is_array()) return wrong_type(parent, name, "a list of texts");
  for (auto const& e : *v) {
    if (!e.is_string()) return wrong_type(parent, name, "a list of texts");
    out.push_back(e.get_ref<std::string const&>());
  }
  return out;
}

outcome<nlohmann::json const*> optional_object(nlohmann::json const& object, std::string_view name, std::string_view parent) {
  auto const* v = find(object, name);
  if (v && !v->is_object()) return wrong_type(parent, name, "an object");
  return v;
}

} // namespace balie::json_fields
