#include "gateway/switchboard.hpp"

#include "server/log.hpp"

#include <algorithm>
#include <iterator>

namespace balie::gateway {
using namespace server;

switchboard::switchboard(std::shared_ptr<queue::redis_connection> redis, std::shared_ptr<queue::event_feed> feed,
                         std::vector<std::pair<std::string, bool>> seeds)
    : store_(std::move(redis)), feed_(std::move(feed)) {
  for (auto const& [name, on] : seeds) {
    channels_.push_back(name);
    seed_[name] = queue::channel_switch{on, "configuration file", "", "", "config", ""};
  }
  current_ = seed_;  // until Redis has answered
}

void switchboard::on_change(listener l) { listeners_.push_back(std::move(l)); }

void switchboard::start() {
  for (auto const& [name, s] : current_)
    for (auto const& l : listeners_) l(name, s);
  auto const weak = weak_from_this();
  subscription_ = feed_->subscribe([weak](queue::live_event const& e) {
    if (e.field("type") != "channel.changed") return;
    if (auto self = weak.lock()) self->load();
  });
  feed_->on_started([weak] {  // changes made while the feed was away
    if (auto self = weak.lock()) self->load();
  });
  resync();
}

void switchboard::resync() {
  store_.seed(seed_, [weak = weak_from_this()](boost::system::error_code) {
    if (auto self = weak.lock()) self->load();
  });
}

void switchboard::stop() { feed_->unsubscribe(subscription_); }

void switchboard::load() {
  store_.load([weak = weak_from_this()](boost::system::error_code ec, std::map<std::string, queue::channel_switch> stored) {
    auto const self = weak.lock();
    if (!self || ec) return;  // Redis away: the last known state stays, the feed's restart loads again
    self->apply(std::move(stored));
  });
}

void switchboard::apply(std::map<std::string, queue::channel_switch> stored) {
  std::vector<std::pair<std::string, queue::channel_switch>> changed;
  {
    std::lock_guard lock(mutex_);
    for (auto const& name : channels_) {
      auto it = stored.find(name);
      if (it == stored.end()) continue;
      auto& mine = current_[name];
      if (mine.enabled != it->second.enabled || mine.notice_nl != it->second.notice_nl || mine.notice_en != it->second.notice_en)
        changed.emplace_back(name, it->second);
      mine = it->second;
    }
  }
  for (auto const& c : changed) {
    for (auto const& l : listeners_) l(c.first, c.second);
    // Logged once every listener has it: a reader of the log may rely on the switch being in force.
    log::info("channel.applied", {{"channel", c.first}, {"enabled", c.second.enabled ? "true" : "false"}});
  }
}

bool switchboard::enabled(std::string const& channel) const {
  std::lock_guard lock(mutex_);
  auto it = current_.find(channel);
  return it != current_.end() && it->second.enabled;
}

std::optional<queue::channel_switch> switchboard::state(std::string const& channel) const {
  std::lock_guard lock(mutex_);
  auto it = current_.find(channel);
  if (it == current_.end()) return std::nullopt;
  return it->second;
}

void switchboard::change(std::string const& channel, queue::channel_switch to,
                         std::function<void(boost::system::error_code, queue::change_result)> done) {
  std::vector<std::string> guarded;  // whole channels only; a part (sms/twilio) is not a way in on its own
  if (channel.find('/') == std::string::npos)
    std::copy_if(channels_.begin(), channels_.end(), std::back_inserter(guarded), [](auto const& n) { return n.find('/') == std::string::npos; });
  queue::channel_change c{channel, to, std::move(guarded)};
  store_.change(c, [weak = weak_from_this(), channel, to, done = std::move(done)](boost::system::error_code ec, queue::change_result r) {
    auto const self = weak.lock();
    if (self && !ec && r != queue::change_result::last_channel) self->apply({{channel, to}});
    done(ec, r);
  });
}

void switchboard::history(std::function<void(boost::system::error_code, std::vector<std::map<std::string, std::string>>)> done) {
  store_.history(std::move(done));
}

} // namespace balie::gateway
