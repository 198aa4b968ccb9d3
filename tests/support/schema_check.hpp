#pragma once
// Validates JSON documents against config/case-message-1.schema.json with an
// independent validator (python3-jsonschema), so the schema and the C++ code
// check each other.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace balie::test {

/// Empty when every document is valid; otherwise the validator's findings.
std::string schema_errors(std::vector<nlohmann::json> const& documents);

} // namespace balie::test
