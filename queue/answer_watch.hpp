#pragma once
// The watchdog over Balie's promises to residents. Every case with a promise
// no person has acted on is in `balie:watch`, scored by when it is due
// (queue/case_store.hpp sets it; a human action in queue/case_workflow.cpp
// removes it). A sweep takes what is due: at the answer-by time the case is
// marked overdue, raised one step in priority and counted in its inbox's
// overdue set; at its report time (twice the answer time) it is reported
// once, and when its inbox has a team address a notice to that team is put
// in the team outbox (`balie:out:{team}`, channels/email/team_notices.hpp)
// in the same step, so a report is never mailed twice nor lost. Each step is one script, so instances sweeping together never do a
// step twice. The caller passes the time: tests inject the clock.

#include "queue/redis_connection.hpp"

#include <map>

namespace balie::queue {

struct watch_finding {
  std::string case_id;
  std::string inbox;
  std::string stage;     ///< overdue, reported
  std::string priority;  ///< after the step
};

class answer_watch {
public:
  explicit answer_watch(std::shared_ptr<redis_connection>);

  /// Takes up to `limit` cases due at `now_ms`, oldest first; `team_addresses` by inbox.
  void sweep(long long now_ms, std::size_t limit, std::map<std::string, std::string> const& team_addresses,
             std::function<void(boost::system::error_code, std::vector<watch_finding>)>);
  /// How many overdue cases each inbox has, in the order given.
  void overdue_counts(std::vector<std::string> const& inboxes, std::function<void(boost::system::error_code, std::vector<long long>)>);

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
