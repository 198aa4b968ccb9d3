#include "queue/outbox_worker.hpp"

#include "queue/keys.hpp"

#include <boost/asio/post.hpp>

#include <unistd.h>

namespace balie::queue {
namespace asio = boost::asio;
namespace {

/// Entries taken per read: a dead instance's or new ones, and own pending ones (retries).
constexpr std::size_t claim_batch = 20;
constexpr std::size_t pending_batch = 100;

std::string consumer_name(std::string const& channel) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return channel + ":" + host + ":" + std::to_string(getpid());
}

} // namespace

outbox_worker::outbox_worker(std::shared_ptr<redis_connection> own, case_workflow& workflow, outbox_settings settings, clock_fn clock,
                             deliver_fn deliver, outbox_log_fn log)
    : redis_(std::move(own)), workflow_(workflow), settings_(std::move(settings)), clock_(std::move(clock)), deliver_(std::move(deliver)),
      log_(std::move(log)), group_(redis_, keys::outbound(settings_.channel), std::string(keys::senders_group)),
      consumer_(consumer_name(settings_.channel)), timer_(redis_->strand()) {}

void outbox_worker::start() {
  redis_->start();
  asio::post(redis_->strand(), [self = shared_from_this()] { self->begin(); });
}

void outbox_worker::stop() {
  asio::post(redis_->strand(), [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
    self->redis_->stop();
  });
}

void outbox_worker::set_held(bool held) {
  held_ = held;
  if (held) return;
  asio::post(redis_->strand(), [self = shared_from_this()] {
    if (self->waiting_held_) self->timer_.cancel();  // not a backoff or pause wait: those run out by themselves
  });
}

void outbox_worker::wait_while_held() {
  waiting_held_ = true;
  timer_.expires_after(settings_.block);  // a check now and then, in case a release was missed
  timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
    self->waiting_held_ = false;
    if (!self->stopped_) self->cycle();
  });
}

// The consumer group first, and again after any failure: Redis may have been
// unreachable, or restarted without the group.
void outbox_worker::begin() {
  if (stopped_) return;
  group_.ensure([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return self->pause();
    self->cycle();
  });
}

void outbox_worker::pause() {
  timer_.expires_after(settings_.pause);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && !self->stopped_) self->begin();
  });
}

std::vector<stream_entry> outbox_worker::due(std::vector<stream_entry> entries, std::chrono::milliseconds& wait) const {
  auto const now = std::chrono::steady_clock::now();
  std::vector<stream_entry> out;
  for (auto& e : entries) {
    auto it = retries_.find(e.id);
    if (it == retries_.end() || it->second.next <= now) out.push_back(std::move(e));
    else wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(it->second.next - now) + std::chrono::milliseconds(1));
  }
  return out;
}

void outbox_worker::cycle() {
  if (stopped_) return;
  if (held_) return wait_while_held();
  auto const self = shared_from_this();
  group_.autoclaim(consumer_, settings_.takeover_after, "0-0", claim_batch, [self](boost::system::error_code ec, autoclaim_result taken) {
    if (self->stopped_) return;
    if (ec) return self->pause();
    auto wait = self->settings_.block;
    if (auto ready = self->due(std::move(taken.claimed), wait); !ready.empty()) return self->handle(std::move(ready), 0);
    // Reading own pending entries again also tells the group this consumer is alive.
    self->group_.read(self->consumer_, pending_batch, std::nullopt, "0", [self, wait](boost::system::error_code ec, std::vector<stream_entry> pending) mutable {
      if (self->stopped_) return;
      if (ec) return self->pause();
      if (auto ready = self->due(std::move(pending), wait); !ready.empty()) return self->handle(std::move(ready), 0);
      self->group_.read(self->consumer_, claim_batch, wait, ">", [self](boost::system::error_code ec, std::vector<stream_entry> fresh) {
        if (self->stopped_) return;
        if (ec) return self->pause();
        self->handle(std::move(fresh), 0);
      });
    });
  });
}

void outbox_worker::handle(std::vector<stream_entry> entries, std::size_t index) {
  if (stopped_) return;
  if (index == entries.size()) return cycle();
  auto const& e = entries[index];
  auto const retry = retries_.find(e.id);
  outbox_entry entry{e.id, e.field("case_id"), e.field("message_id"), e.field("msg"), retry == retries_.end() ? 0 : retry->second.attempts};
  auto next = [self = shared_from_this(), entries = std::move(entries), index]() mutable { self->handle(std::move(entries), index + 1); };
  if (held_) {
    // Switched off while this batch was read: the entry stays pending (read again once on) and staff see why it waits.
    delivery_update const u{entry.case_id, entry.message_id, "held", entry.attempts, "", format_rfc3339(clock_())};
    return workflow_.report_delivery(u, [next = std::move(next)](boost::system::error_code, action_result) mutable { next(); });
  }
  deliver_(entry, [self = shared_from_this(), entry, next = std::move(next)](delivery_outcome outcome) mutable {
    asio::post(self->redis_->strand(), [self, entry = std::move(entry), outcome = std::move(outcome), next = std::move(next)]() mutable {
      if (self->stopped_) return;
      self->settle(entry, std::move(outcome), std::move(next));
    });
  });
}

void outbox_worker::settle(outbox_entry const& e, delivery_outcome o, std::function<void()> next) {
  auto const now = std::chrono::steady_clock::now();
  switch (o.outcome) {
  case delivery_outcome::kind::done:
    log_("sent", e, e.attempts + 1, "");
    // Not acknowledged (Redis failed just now): the entry comes again, and the channel's own
    // record of the delivery keeps it from going out twice.
    return group_.ack({e.id}, [self = shared_from_this(), id = e.id, next = std::move(next)](boost::system::error_code, long long) {
      self->retries_.erase(id);
      next();
    });
  case delivery_outcome::kind::store_unavailable:
    retries_[e.id].next = now + settings_.pause;
    return next();
  case delivery_outcome::kind::failed:
    return give_up(e, o.detail, e.attempts + 1, std::move(next));
  case delivery_outcome::kind::retry:
    break;
  }
  auto& r = retries_[e.id];
  r.attempts = e.attempts + 1;
  if (settings_.max_attempts > 0 && r.attempts >= settings_.max_attempts) return give_up(e, o.detail, r.attempts, std::move(next));
  r.next = now + backoff(r.attempts);
  log_("send_deferred", e, r.attempts, o.detail);
  delivery_update const u{e.case_id, e.message_id, "queued", r.attempts, o.detail, format_rfc3339(clock_())};
  workflow_.report_delivery(u, [next = std::move(next)](boost::system::error_code, action_result) { next(); });
}

void outbox_worker::give_up(outbox_entry const& e, std::string const& reason, int attempts, std::function<void()> next) {
  log_("dead_letter", e, attempts, reason);
  delivery_update const u{e.case_id, e.message_id, "failed", attempts, reason, format_rfc3339(clock_())};
  redis_->execute({"XADD", keys::dead_letters(settings_.channel), "*", "case_id", e.case_id, "message_id", e.message_id, "reason", reason,
                   "msg", e.msg},
                  [self = shared_from_this(), id = e.id, u, next = std::move(next)](boost::system::error_code ec, redis_reply) mutable {
                    if (ec) {  // tried again after the pause; the reason comes again with it
                      self->retries_[id].next = std::chrono::steady_clock::now() + self->settings_.pause;
                      return next();
                    }
                    self->workflow_.report_delivery(u, [self, id, next = std::move(next)](boost::system::error_code, action_result) mutable {
                      self->group_.ack({id}, [self, id, next = std::move(next)](boost::system::error_code, long long) {
                        self->retries_.erase(id);
                        next();
                      });
                    });
                  });
}

/// Doubling from the first wait up to the maximum, then somewhere between half and all of it.
std::chrono::milliseconds outbox_worker::backoff(int attempts) {
  auto const doubled = settings_.retry_initial * (1LL << std::min(attempts - 1, 20));
  auto const full = std::min<std::chrono::milliseconds>(doubled, settings_.retry_max).count();
  std::uniform_int_distribution<long long> spread(0, full / 2);
  return std::chrono::milliseconds(full - full / 2 + spread(jitter_));
}

} // namespace balie::queue
