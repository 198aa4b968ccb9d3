#pragma once
// A Redis reply copied out of hiredis' memory before its callback returns,
// so it can travel to other executors safely.

#include <string>
#include <vector>

namespace balie::queue {

struct redis_reply {
  enum class kind { nil, status, error, integer, string, array };
  kind type = kind::nil;
  std::string str;           ///< status, error or bulk string
  long long integer = 0;
  std::vector<redis_reply> elements;

  bool is_error() const { return type == kind::error; }
  bool is_string() const { return type == kind::string || type == kind::status; }
};

} // namespace balie::queue
