#pragma once
// Typed readers for the fields of untrusted JSON (request bodies, frames).
// nlohmann's value(), get<>() and at() throw on a field of the wrong type,
// and a throw on an I/O thread ends the process; these readers never throw.
// Each returns the field or a rejection that names it the way the chat and
// staff APIs name fields in invalid-params ("lang", "reply.address"), so the
// gateway answers 400 naming the field.
// An absent field and a null one both count as "not given".

#include "channels/rejection.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace balie::json_fields {

/// The name of field `name` inside the object named `parent` ("" is the root): "reply.address".
std::string field_name(std::string_view parent, std::string_view name);

/// A string field; absent or null: std::nullopt; another type: a rejection.
outcome<std::optional<std::string>> optional_string(nlohmann::json const& object, std::string_view name,
                                                    std::string_view parent = {});
/// A string field that must be there.
outcome<std::string> required_string(nlohmann::json const& object, std::string_view name, std::string_view parent = {});
/// A string member where its absence needs no answer (a signature claim, Balie's own
/// stored JSON): the string, or empty when absent, null, another type or `object` is no object.
std::string text(nlohmann::json const& object, std::string_view name);
/// A string field with a default for absent or null.
outcome<std::string> string_or(nlohmann::json const& object, std::string_view name, std::string_view fallback,
                               std::string_view parent = {});
/// A whole number field (no fraction, within int64); absent or null: std::nullopt.
outcome<std::optional<std::int64_t>> optional_integer(nlohmann::json const& object, std::string_view name,
                                                      std::string_view parent = {});
/// true or false; absent or null: std::nullopt.
outcome<std::optional<bool>> optional_boolean(nlohmann::json const& object, std::string_view name, std::string_view parent = {});
/// An array of strings; absent or null: empty.
outcome<std::vector<std::string>> string_array(nlohmann::json const& object, std::string_view name,
                                               std::string_view parent = {});
/// An object field; absent or null: nullptr (the pointer is into `object`).
outcome<nlohmann::json const*> optional_object(nlohmann::json const& object, std::string_view name,
                                               std::string_view parent = {});

} // namespace balie::json_fields
