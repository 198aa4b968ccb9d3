#include "gateway/promises.hpp"

namespace balie::gateway {

promises::promises(std::vector<inbox_config> const& inboxes) { set(inboxes); }

void promises::set(std::vector<inbox_config> const& inboxes) {
  std::map<std::string, calendar::service_hours, std::less<>> hours;
  for (auto const& i : inboxes) hours[i.id] = i.hours;
  std::lock_guard lock(mutex_);
  hours_ = std::move(hours);
}

promises::made promises::for_message(std::string const& inbox, timestamp received) const {
  auto const hours = [&] {
    std::lock_guard lock(mutex_);
    auto it = hours_.find(inbox);
    return it == hours_.end() ? calendar::default_service_hours() : it->second;
  }();
  auto const by = calendar::answer_by(hours, received);
  return {{by, by + (by - received)}, !calendar::is_open(hours, received)};
}

} // namespace balie::gateway
