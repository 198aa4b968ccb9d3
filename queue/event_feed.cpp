#include "queue/event_feed.hpp"

#include "queue/case_store.hpp"
#include "queue/keys.hpp"

namespace balie::queue {
namespace {
/// How long one XREAD waits for news; the command timeout is this plus a margin.
constexpr std::chrono::milliseconds block_time{5000};
constexpr std::chrono::milliseconds block_margin{2000};
/// After a failed read (Redis away), wait this long before the next try.
constexpr std::chrono::milliseconds retry_pause{500};
} // namespace

std::string live_event::field(std::string const& name) const {
  auto it = fields.find(name);
  return it == fields.end() ? std::string{} : it->second;
}

std::vector<live_event> events_from(redis_reply const& entries) {
  std::vector<live_event> out;
  for (auto const& e : entries.elements)
    if (e.elements.size() == 2) out.push_back({e.elements[0].str, pairs(e.elements[1])});
  return out;
}

event_feed::event_feed(std::shared_ptr<redis_connection> blocking, std::shared_ptr<redis_connection> commands)
    : blocking_(std::move(blocking)), commands_(std::move(commands)) {}

void event_feed::on_started(std::function<void()> f) { on_started_.push_back(std::move(f)); }

void event_feed::start() {
  blocking_->start();
  find_start();
}

void event_feed::stop() {
  boost::asio::post(blocking_->strand(), [self = shared_from_this()] {
    self->stopped_ = true;
    self->blocking_->stop();
  });
}

void event_feed::retry_later(void (event_feed::*step)()) {
  auto t = std::make_shared<boost::asio::steady_timer>(blocking_->strand(), retry_pause);
  t->async_wait([self = shared_from_this(), t, step](boost::system::error_code) {
    if (!self->stopped_) ((*self).*step)();
  });
}

/// Live events start after the newest one there is now; older ones are for replay.
void event_feed::find_start() {
  blocking_->execute({"XREVRANGE", std::string(keys::events), "+", "-", "COUNT", "1"},
                     [self = shared_from_this()](boost::system::error_code ec, redis_reply r) {
                       if (self->stopped_) return;
                       if (ec) return self->retry_later(&event_feed::find_start);
                       auto const events = events_from(r);
                       self->last_id_ = events.empty() ? "0-0" : events.front().id;
                       for (auto const& f : self->on_started_) f();
                       self->read_next();
                     });
}

void event_feed::read_next() {
  blocking_->execute({"XREAD", "COUNT", "500", "BLOCK", std::to_string(block_time.count()), "STREAMS", std::string(keys::events), last_id_},
                     [self = shared_from_this()](boost::system::error_code ec, redis_reply r) {
                       if (self->stopped_) return;
                       if (ec) return self->retry_later(&event_feed::read_next);
                       // Reply: [[stream, entries]] or nil after the block time.
                       if (!r.elements.empty() && r.elements[0].elements.size() == 2) {
                         auto const events = events_from(r.elements[0].elements[1]);
                         if (!events.empty()) {
                           self->last_id_ = events.back().id;
                           self->publish(events);
                         }
                       }
                       self->read_next();
                     },
                     block_time + block_margin);
}

void event_feed::publish(std::vector<live_event> const& events) {
  std::vector<subscriber> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto const& [_, s] : subscribers_) targets.push_back(s);
  }
  for (auto const& e : events)
    for (auto const& s : targets) s(e);
}

std::uint64_t event_feed::subscribe(subscriber s) {
  std::lock_guard lock(mutex_);
  auto const token = next_token_++;
  subscribers_.emplace(token, std::move(s));
  return token;
}

void event_feed::unsubscribe(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(token);
}

void event_feed::newest(std::function<void(boost::system::error_code, std::string)> done) {
  commands_->execute({"XREVRANGE", std::string(keys::events), "+", "-", "COUNT", "1"},
                     [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                       if (ec) return done(ec, {});
                       auto const events = events_from(r);
                       done({}, events.empty() ? "0-0" : events.front().id);
                     });
}

void event_feed::replay(std::string const& after_id, std::size_t limit,
                        std::function<void(boost::system::error_code, std::vector<live_event>, bool)> done) {
  commands_->execute({"XRANGE", std::string(keys::events), "(" + after_id, "+", "COUNT", std::to_string(limit + 1)},
                     [limit, done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                       if (ec) return done(ec, {}, false);
                       auto events = events_from(r);
                       bool const complete = events.size() <= limit;
                       if (!complete) events.resize(limit);
                       done({}, std::move(events), complete);
                     });
}

} // namespace balie::queue
