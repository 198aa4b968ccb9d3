#include "gateway/routing_board.hpp"

#include "channels/time_format.hpp"
#include "server/log.hpp"

namespace balie::gateway {
using namespace server;

routing_board::routing_board(std::shared_ptr<queue::redis_connection> redis, std::shared_ptr<queue::event_feed> feed, nlohmann::json seed_document,
                             std::set<std::string> inbox_ids)
    : store_(std::move(redis)), feed_(std::move(feed)), seed_(std::move(seed_document)), inbox_ids_(std::move(inbox_ids)) {
  auto first = check(seed_);  // the config file was checked at load: this cannot fail
  if (!first.config) throw channels::config_error("config: " + first.path + ": " + first.reason, first.path, first.reason);
  current_ = {*first.config, seed_, std::make_shared<routing::router const>(*first.config), 0, "config", "", "configuration file"};
}

void routing_board::on_change(listener l) { listeners_.push_back(std::move(l)); }

void routing_board::start() {
  auto const weak = weak_from_this();
  subscription_ = feed_->subscribe([weak](queue::live_event const& e) {
    if (e.field("type") != "routing.changed") return;
    if (auto self = weak.lock()) self->load();
  });
  feed_->on_started([weak] {  // changes made while the feed was away
    if (auto self = weak.lock()) self->load();
  });
  resync();
}

void routing_board::resync() {
  store_.seed({seed_.dump(), "config", format_rfc3339(system_now()), "configuration file"}, [weak = weak_from_this()](boost::system::error_code) {
    if (auto self = weak.lock()) self->load();
  });
}

void routing_board::stop() { feed_->unsubscribe(subscription_); }

routing_board::in_force routing_board::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

routing_board::checked routing_board::check(nlohmann::json const& document) const {
  auto const inboxes = [this] {
    std::lock_guard lock(mutex_);
    return inbox_ids_;
  }();
  try {
    std::optional<routing::routing_config> config;
    {  // the reader's destructor throws for an unknown key: never while a return value is under way
      channels::object_reader r(document, "");
      config = routing::read_routing(r, inboxes);
    }
    return {std::move(config), {}, {}};
  } catch (channels::config_error const& e) {
    return {std::nullopt, e.path, e.reason.empty() ? e.what() : e.reason};
  } catch (std::exception const& e) {  // anything else a stored document could provoke: refused, never escaping a handler
    return {std::nullopt, "", e.what()};
  }
}

void routing_board::set_inboxes(std::set<std::string> ids) {
  std::lock_guard lock(mutex_);
  inbox_ids_ = std::move(ids);
}

void routing_board::replace(nlohmann::json const& document, std::string by, std::string reason, std::string at,
                            std::function<void(boost::system::error_code, bool, long long)> done) {
  queue::routing_change change{document.dump(), std::move(by), std::move(at), std::move(reason)};
  store_.replace(change, [weak = weak_from_this(), change, done = std::move(done)](boost::system::error_code ec, bool changed, long long version) {
    auto const self = weak.lock();
    if (self && !ec && changed) self->apply({change.document, version, change.by, change.at, change.reason});
    done(ec, changed, version);
  });
}

void routing_board::load() {
  store_.load([weak = weak_from_this()](boost::system::error_code ec, std::optional<queue::stored_routing> stored) {
    auto const self = weak.lock();
    if (!self || ec || !stored) return;  // Redis away: the rules in force stay, the feed's restart loads again
    self->apply(*stored);
  });
}

void routing_board::apply(queue::stored_routing const& stored) {
  {
    std::lock_guard lock(mutex_);
    if (stored.version <= current_.version) return;  // in force already (this instance put it there, or loaded it twice)
  }
  auto const document = nlohmann::json::parse(stored.document, nullptr, false);
  auto const result = check(document);
  if (!result.config) {
    log::error("routing.stored_refused", {{"version", std::to_string(stored.version)}, {"key", result.path}, {"reason", result.reason}});
    return;
  }
  auto router = std::make_shared<routing::router const>(*result.config);
  {
    std::lock_guard lock(mutex_);
    if (stored.version <= current_.version) return;  // the same or a newer set arrived meanwhile
    current_ = {*result.config, document, router, stored.version, stored.by, stored.at, stored.reason};
  }
  for (auto const& l : listeners_) l(router);
  log::info("routing.applied", {{"version", std::to_string(stored.version)}, {"rules", std::to_string(result.config->rules.size())},
                                {"by", stored.by}});
}

} // namespace balie::gateway
