#pragma once
// The numbers that asked not to get SMS from the municipality (`STOP`), as a
// named operation on Redis (`keys::sms_opt_out`).

#include "queue/redis_connection.hpp"

#include <functional>
#include <string>

namespace balie::queue {

class sms_opt_outs {
public:
  explicit sms_opt_outs(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}
  /// Whether `number` (E.164) opted out.
  void contains(std::string const& number, std::function<void(boost::system::error_code, bool)> done) const;

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
