#pragma once

#include <string>

namespace balie::gateway {

/// A route as the OpenAPI document lists it.
struct route {
  std::string method;
  std::string pattern;  ///< e.g. /api/v1/cases/{id}
};

} // namespace balie::gateway
