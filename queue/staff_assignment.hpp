#pragma once
// Optional assignment per inbox: a new case is proposed to one of the
// inbox's staff who marked themselves available, so it reaches a person and
// not only a queue. Round robin takes the next available person in turn (the
// turn is kept per inbox in Redis, so instances share it); fewest open takes
// the available person with the fewest open cases proposed to or claimed by
// them (ties by name). A proposal is not a claim: the case stays in the
// inbox for anyone, is no human action (the watchdog keeps watching it), and
// a claimed case is never proposed. Each proposal is one script: the choice
// and the counts it rests on are read and written in one step. A person's
// cases are a set (`balie:staff:{name}:cases`, claims add to it too) whose
// stale members — closed, transferred, claimed by someone else — are dropped
// when counted.

#include "queue/redis_connection.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace balie::queue {

enum class assignment_mode { none, round_robin, fewest_open };
std::optional<assignment_mode> assignment_mode_from(std::string_view);  ///< none, round_robin, fewest_open

class staff_assignment {
public:
  explicit staff_assignment(std::shared_ptr<redis_connection>);

  /// Proposes the open, unclaimed case `case_id` of `inbox` to one of `staff` who is available;
  /// `chosen` is empty when nobody is, or the case was already proposed, claimed, moved or closed.
  void propose(std::string const& case_id, std::string const& inbox, assignment_mode, std::vector<std::string> staff, long long now_ms,
               std::function<void(boost::system::error_code, std::string chosen)>);
  /// Marks `name` available for new cases, or not; audited.
  void set_available(std::string const& name, bool available, long long now_ms, std::function<void(boost::system::error_code)>);
  /// Whether `name` is marked available.
  void is_available(std::string const& name, std::function<void(boost::system::error_code, bool)>);

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
