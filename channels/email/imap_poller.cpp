// A round: read the cursor (network thread) → STATUS and UID SEARCH (worker)
// → for each UID of the batch: fetch (worker) → deliver (network thread,
// email_intake) → mark processed (worker) → advance the cursor (Redis) →
// the next UID. Any temporary failure ends the round; the next poll retries.
#include "channels/email/imap_poller.hpp"

#include "server/log.hpp"
#include "queue/keys.hpp"
#include "queue/redis_reply.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace balie::email {
using namespace server;
namespace asio = boost::asio;
namespace {

std::string cursor_key(std::string const& name) { return queue::keys::email_imap_cursor(name); }

} // namespace

struct imap_poller::round_state {
  std::uint32_t uidvalidity = 0;
  std::uint32_t last_uid = 0;
  std::vector<std::uint32_t> uids;  ///< this batch
  std::size_t index = 0;
  bool more = false;                ///< the mailbox holds more than one batch
};

imap_poller::imap_poller(asio::any_io_executor ex, imap_mailbox_config cfg, std::shared_ptr<email_intake> intake,
                         queue::redis_connection& redis, metrics& m)
    : executor_(asio::make_strand(ex)), config_(std::move(cfg)), intake_(std::move(intake)), redis_(redis), metrics_(m), client_(config_), timer_(ex) {}

imap_poller::~imap_poller() { worker_.join(); }

void imap_poller::start() { asio::post(executor_, [self = shared_from_this()] { self->round(); }); }

void imap_poller::stop() {
  stopped_ = true;
  client_.cancel();
  asio::post(executor_, [self = shared_from_this()] { self->timer_.cancel(); });
}

std::pair<std::string, std::string> imap_poller::state() const {
  std::lock_guard lock(state_mutex_);
  return shared_state_;
}

void imap_poller::health(std::string_view state, std::string const& detail) {
  {
    std::lock_guard lock(state_mutex_);
    shared_state_ = {std::string(state), detail};
  }
  if (state == state_) return;
  auto const was = std::exchange(state_, std::string(state));
  metrics_.set_health(source(), state_);
  log::write(state == "up" ? log_level::info : log_level::warn, "channel.health",
             {{"channel", "email"}, {"source", source()}, {"state", state_}, {"was", was}, {"detail", detail}});
}

void imap_poller::end_round(bool again) {
  // Called from Redis callbacks too: the timer is only touched on the poller's strand.
  asio::post(executor_, [self = shared_from_this(), again] {
    if (self->stopped_) return;
    if (again) return self->round();
    self->timer_.expires_after(self->config_.poll);
    self->timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->round();
    });
  });
}

void imap_poller::round() {
  if (stopped_) return;
  if (!intake_->enabled()) return end_round(false);  // switched off: mail waits in the mailbox
  redis_.execute({"HMGET", cursor_key(config_.name), "uidvalidity", "last_uid"},
                 [self = shared_from_this()](boost::system::error_code ec, queue::redis_reply r) {
                   if (ec || r.elements.size() != 2) return self->end_round(false);
                   auto s = std::make_shared<round_state>();
                   s->uidvalidity = static_cast<std::uint32_t>(std::strtoul(r.elements[0].str.c_str(), nullptr, 10));
                   s->last_uid = static_cast<std::uint32_t>(std::strtoul(r.elements[1].str.c_str(), nullptr, 10));
                   asio::post(self->worker_, [self, s] { self->check(s); });
                 });
}

void imap_poller::check(std::shared_ptr<round_state> s) {
  auto const status = client_.status();
  if (!status) {
    auto const detail = status.error.detail;
    auto const state = status.error.what == imap_error::kind::login ? "bad-credentials" : "down";
    return asio::post(executor_, [self = shared_from_this(), detail, state] {
      self->health(state, detail);
      self->end_round(false);
    });
  }
  bool const first = s->uidvalidity == 0;
  bool const changed = s->uidvalidity != status.value->uidvalidity;
  if (changed) {
    // New mailbox (or recreated): everything in it is offered again; dedup keeps each mail once.
    s->uidvalidity = status.value->uidvalidity;
    s->last_uid = 0;
  }
  auto found = client_.uids_after(s->last_uid);
  asio::post(executor_, [self = shared_from_this(), s, changed, first, found = std::move(found)]() mutable {
    if (!found) {
      self->health("down", found.error.detail);
      return self->end_round(false);
    }
    self->health("up", "");
    auto& uids = *found.value;
    s->more = uids.size() > self->config_.batch;
    if (s->more) uids.resize(self->config_.batch);
    s->uids = std::move(uids);
    auto const go = [self, s] { self->next(s); };
    if (!changed) return go();
    if (!first) log::warn("email.imap_uidvalidity_changed", {{"source", self->source()}, {"uidvalidity", std::to_string(s->uidvalidity)}});
    self->redis_.execute({"HSET", cursor_key(self->config_.name), "uidvalidity", std::to_string(s->uidvalidity), "last_uid", "0"},
                         [self, go](boost::system::error_code ec, queue::redis_reply) {
                           if (ec) return self->end_round(false);
                           go();
                         });
  });
}

void imap_poller::next(std::shared_ptr<round_state> s) {
  if (stopped_) return;
  if (s->index == s->uids.size()) return end_round(s->more);
  auto const uid = s->uids[s->index];
  asio::post(worker_, [self = shared_from_this(), s, uid] {
    auto fetched = self->client_.fetch(s->uidvalidity, uid);
    asio::post(self->executor_, [self, s, uid, fetched = std::move(fetched)]() mutable {
      if (!fetched) {
        if (fetched.error.what == imap_error::kind::gone) return self->delivered(s, {mail_outcome::duplicate, {}}, false);
        if (fetched.error.what == imap_error::kind::uidvalidity_changed) return self->end_round(true);
        self->health("degraded", fetched.error.detail);
        return self->end_round(false);
      }
      if (fetched.value->size() > self->intake_->max_message_bytes()) {
        log::warn("email.imap_too_big", {{"source", self->source()}, {"uid", std::to_string(uid)}});
        return self->delivered(s, {mail_outcome::duplicate, {}}, false);  // left in the mailbox, unmarked, for a person
      }
      email::mail_envelope envelope;  // IMAP knows no envelope: sender unknown, no recipients
      self->intake_->deliver(std::move(*fetched.value), std::move(envelope), "imap", self->config_.inbox,
                             [self, s](mail_result r) { self->delivered(s, r); });
    });
  });
}

void imap_poller::delivered(std::shared_ptr<round_state> s, mail_result r, bool mark) {
  if (r.outcome == mail_outcome::temporary_failure) return end_round(false);
  auto const uid = s->uids[s->index];
  asio::post(worker_, [self = shared_from_this(), s, uid, mark] {
    auto const marked = mark ? self->client_.mark_processed(uid) : imap_result<bool>{true, {}};
    asio::post(self->executor_, [self, s, uid, marked] {
      // Unmarked mail stays visible in the mailbox; the cursor still moves on, so it is not taken twice.
      if (!marked) log::warn("email.imap_not_marked", {{"source", self->source()}, {"uid", std::to_string(uid)}, {"error", marked.error.detail}});
      self->redis_.execute({"HSET", cursor_key(self->config_.name), "uidvalidity", std::to_string(s->uidvalidity), "last_uid", std::to_string(uid)},
                           [self, s, uid](boost::system::error_code ec, queue::redis_reply) {
                             if (ec) return self->end_round(false);
                             log::info("email.imap_processed", {{"source", self->source()}, {"uid", std::to_string(uid)}});
                             ++s->index;
                             self->next(s);
                           });
    });
  });
}

} // namespace balie::email
