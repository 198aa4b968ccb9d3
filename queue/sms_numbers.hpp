#pragma once
// What Balie keeps per resident phone number, as named operations on Redis:
// the numbers that asked not to get SMS (`STOP`, undone by `START`; each
// change audited), the number's most recent case (an SMS from that number
// joins it within the threading window, also when the case began as a call
// answered by SMS), and the replay marks of signed webhooks.

#include "queue/redis_connection.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace balie::queue {

class sms_numbers {
public:
  explicit sms_numbers(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}
  /// Whether `number` (E.164) opted out.
  void opted_out(std::string const& number, std::function<void(boost::system::error_code, bool)> done) const;
  /// Records an opt-out (`out`) or opt-in written in case `case_id`, and audits it;
  /// `changed` is false when the number already was so (nothing recorded then).
  void change_opt_out(std::string const& number, bool out, std::string const& case_id, std::string const& at,
                      std::function<void(boost::system::error_code, bool changed)> done) const;
  /// An SMS left for `number` in `case_id`: the number takes part in the case,
  /// and its next message joins it for `window`.
  void record_sent(std::string const& case_id, std::string const& number, std::chrono::seconds window,
                   std::function<void(boost::system::error_code)> done) const;
  /// True the first time `replay_key` is seen within `ttl`.
  void first_use(std::string const& replay_key, std::chrono::seconds ttl, std::function<void(boost::system::error_code, bool)> done) const;

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
