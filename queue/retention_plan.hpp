#pragma once
// What the close script needs to start a case's retention term (queue/case_retention.hpp): per class,
// when a case closed now is destroyed, and how the class is chosen. Plain data: the gateway's
// configuration builds it without Redis's headers.

#include <map>
#include <string>

namespace balie::queue {

struct retention_plan {
  std::map<std::string, long long> destroy_at_ms;  ///< class → moment (ms)
  std::string default_class;
  std::map<std::string, std::string> by_inbox;     ///< inbox → class
  std::map<std::string, std::string> by_topic;     ///< topic → class
  /// The JSON the scripts read (moments as strings: Lua numbers would lose digits).
  std::string json() const;
};

} // namespace balie::queue
