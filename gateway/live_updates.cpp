#include "gateway/live_updates.hpp"

#include "queue/stream_id.hpp"

#include <nlohmann/json.hpp>

namespace balie::gateway {
using namespace server;
namespace {
/// Proxies close streams that stay silent; a comment line keeps them open
/// and lets a dead connection show itself on the next write.
constexpr std::chrono::seconds ping_interval{15};
/// A client that missed more than this many events reloads instead.
constexpr std::size_t max_replay = 1000;
} // namespace

struct live_updates::client {
  live_filter filter;
  std::optional<event_stream> stream;  ///< set once the head is written
  std::mutex mutex;
  bool replaying = false;
  std::vector<queue::live_event> held;  ///< live events that arrived during the replay
  std::string cursor;                   ///< the newest event sent; older live ones are skipped
  bool open = true;

  bool wants(queue::live_event const& e) const {
    auto const inbox = e.field("inbox");
    if (!filter.who.may_see(inbox)) return false;
    if (filter.inbox && *filter.inbox != inbox) return false;
    return !filter.case_id || *filter.case_id == e.field("case_id");
  }
  bool newer(std::string const& id) const {
    if (cursor.empty()) return true;
    auto const a = queue::parse_stream_id(id), b = queue::parse_stream_id(cursor);
    return a && b && *a > *b;
  }
  void send(queue::live_event const& e) {  // mutex held
    if (!open || !newer(e.id) || !wants(e)) return;
    cursor = e.id;
    open = stream->send(e.field("type"), event_data(e), e.id);
  }
};

bool is_stream_id(std::string_view s) { return queue::parse_stream_id(s).has_value(); }

std::string event_data(queue::live_event const& e) {
  nlohmann::json data = nlohmann::json::object();
  for (auto const& [k, v] : e.fields) data[k] = v;
  return data.dump();
}

live_updates::live_updates(boost::asio::any_io_executor ex, std::shared_ptr<queue::event_feed> feed)
    : ping_timer_(ex), feed_(std::move(feed)) {}

void live_updates::start() {
  subscription_ = feed_->subscribe([weak = weak_from_this()](queue::live_event const& e) {
    if (auto self = weak.lock()) self->deliver(e);
  });
  feed_->on_started([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->catch_up_all();
  });
  ping();
}

void live_updates::stop() {
  feed_->unsubscribe(subscription_);
  std::vector<std::shared_ptr<client>> all;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    all.swap(clients_);
  }
  for (auto const& c : all) c->stream->close();
  ping_timer_.cancel();
}

std::size_t live_updates::close_unless(std::function<bool(principal const&)> const& grants) {
  std::vector<std::shared_ptr<client>> ended;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(clients_, [&](std::shared_ptr<client> const& c) {
      if (grants(c->filter.who)) return false;
      ended.push_back(c);
      return true;
    });
  }
  for (auto const& c : ended) {
    std::lock_guard lock(c->mutex);
    c->open = false;
    c->stream->close();
  }
  return ended.size();
}

std::size_t live_updates::clients() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

http_response live_updates::open(live_filter filter) {
  return event_stream_response([self = shared_from_this(), filter = std::move(filter)](event_stream stream) mutable {
    auto c = std::make_shared<client>();
    c->filter = std::move(filter);
    c->stream = std::move(stream);
    self->attach(std::move(c));
  });
}

void live_updates::attach(std::shared_ptr<client> c) {
  if (!c->stream->open()) return;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return c->stream->close();
    c->replaying = true;  // live events are held until the starting point is known
    clients_.push_back(c);
  }
  if (c->filter.last_event_id) {
    c->cursor = *c->filter.last_event_id;
    return catch_up(std::move(c));
  }
  feed_->newest([c](boost::system::error_code ec, std::string id) {
    std::lock_guard lock(c->mutex);
    if (!ec) c->cursor = id;
    for (auto const& e : c->held) c->send(e);
    c->held.clear();
    c->replaying = false;
  });
}

/// Sends what happened after the client's cursor (from Redis), then what was held meanwhile.
void live_updates::catch_up(std::shared_ptr<client> c) {
  std::string after;
  {
    std::lock_guard lock(c->mutex);
    c->replaying = true;
    after = c->cursor;
  }
  feed_->replay(after, max_replay, [c](boost::system::error_code ec, std::vector<queue::live_event> missed, bool complete) {
    std::lock_guard lock(c->mutex);
    if (ec || !complete) c->open = c->stream->send("reload", "{}");
    else
      for (auto const& e : missed) c->send(e);
    for (auto const& e : c->held) c->send(e);
    c->held.clear();
    c->replaying = false;
  });
}

void live_updates::catch_up_all() {
  std::vector<std::shared_ptr<client>> all;
  {
    std::lock_guard lock(mutex_);
    all = clients_;
  }
  for (auto& c : all) {
    bool ready;
    {
      std::lock_guard lock(c->mutex);
      ready = !c->replaying && !c->cursor.empty();
    }
    if (ready) catch_up(c);
  }
}

void live_updates::deliver(queue::live_event const& e) {
  std::vector<std::shared_ptr<client>> targets;
  {
    std::lock_guard lock(mutex_);
    targets = clients_;
  }
  for (auto const& c : targets) {
    std::lock_guard lock(c->mutex);
    if (c->replaying) c->held.push_back(e);
    else c->send(e);
  }
}

void live_updates::ping() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    std::erase_if(clients_, [](std::shared_ptr<client> const& c) {
      std::lock_guard l(c->mutex);
      c->open = c->open && c->stream->ping();
      return !c->open;
    });
  }
  ping_timer_.expires_after(ping_interval);
  ping_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->ping();
  });
}

} // namespace balie::gateway
