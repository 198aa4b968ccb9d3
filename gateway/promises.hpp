#pragma once
// The promise Balie makes for a resident's message: from the hours, closed
// days and answer time of the inbox routing chose (calendar/service_hours.hpp),
// when a person answers at the latest, when the watchdog reports the case
// (twice the answer time after arrival), and whether the inbox was closed when
// it came in. A reload replaces the inboxes' calendars.

#include "gateway/config.hpp"
#include "queue/case_store.hpp"

#include <map>
#include <mutex>

namespace balie::gateway {

class promises {
public:
  explicit promises(std::vector<inbox_config> const&);
  void set(std::vector<inbox_config> const&);

  struct made {
    queue::case_promise promise;
    bool outside_hours = false;
  };
  /// An inbox this configuration lacks (a case transferred before a reload) has the default hours.
  made for_message(std::string const& inbox, timestamp received) const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, calendar::service_hours, std::less<>> hours_;
};

} // namespace balie::gateway
