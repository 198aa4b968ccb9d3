// One coroutine per mailbox on its strand; the blocking IMAP calls run on
// the poller's worker thread. A round: read the cursor → STATUS and UID
// SEARCH → for each UID of the batch: fetch → deliver (email_intake) → mark
// processed → advance the cursor. Any temporary failure ends the round; the
// next poll retries.
#include "channels/email/imap_poller.hpp"

#include "channels/awaited.hpp"
#include "server/log.hpp"
#include "queue/keys.hpp"
#include "queue/redis_reply.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace balie::email {
using namespace server;
namespace asio = boost::asio;
using boost::system::error_code;
namespace {

std::string cursor_key(std::string const& name) { return queue::keys::email_imap_cursor(name); }

} // namespace

imap_poller::imap_poller(asio::any_io_executor ex, imap_mailbox_config cfg, std::shared_ptr<email_intake> intake,
                         queue::redis_connection& redis, metrics& m)
    : executor_(asio::make_strand(ex)), config_(std::move(cfg)), intake_(std::move(intake)), redis_(redis), metrics_(m), client_(config_),
      timer_(executor_) {}

imap_poller::~imap_poller() { worker_.join(); }

void imap_poller::start() {
  asio::co_spawn(executor_, run(shared_from_this()), [source = source()](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (std::exception const& ex) {  // never on the I/O thread: the mailbox would go unread unseen
      log::error("email.imap_stopped", {{"source", source}, {"error", ex.what()}});
    }
  });
}

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

asio::awaitable<void> imap_poller::run([[maybe_unused]] std::shared_ptr<imap_poller> self) {
  while (!stopped_) {
    // Switched off: mail waits in the mailbox.
    auto const again = intake_->taking_mail() && co_await round();
    if (stopped_) break;
    if (again) continue;
    timer_.expires_after(config_.poll);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<bool> imap_poller::round() {
  auto const [ec, cursor] = co_await awaited<error_code, queue::redis_reply>(
      [this](auto done) { redis_.execute({"HMGET", cursor_key(config_.name), "uidvalidity", "last_uid"}, std::move(done)); });
  if (ec || cursor.elements.size() != 2) co_return false;
  auto uidvalidity = static_cast<std::uint32_t>(std::strtoul(cursor.elements[0].str.c_str(), nullptr, 10));
  auto last_uid = static_cast<std::uint32_t>(std::strtoul(cursor.elements[1].str.c_str(), nullptr, 10));
  auto const status = co_await awaited_on(worker_, [this] { return client_.status(); });
  if (!status) {
    health(status.error().what == imap_error::kind::login ? "bad-credentials" : "down", status.error().detail);
    co_return false;
  }
  if (uidvalidity != status->uidvalidity) {
    // New mailbox (or recreated): everything in it is offered again; dedup keeps each mail once.
    if (uidvalidity != 0) log::warn("email.imap_uidvalidity_changed", {{"source", source()}, {"uidvalidity", std::to_string(status->uidvalidity)}});
    uidvalidity = status->uidvalidity;
    last_uid = 0;
    if (!co_await save_cursor(uidvalidity, 0)) co_return false;
  }
  auto found = co_await awaited_on(worker_, [this, last_uid] { return client_.uids_after(last_uid); });
  if (!found) {
    health("down", found.error().detail);
    co_return false;
  }
  health("up", "");
  auto& uids = *found;
  bool const more = uids.size() > config_.batch;
  if (more) uids.resize(config_.batch);
  for (auto const uid : uids)
    if (stopped_ || !co_await take(uidvalidity, uid)) co_return false;
  co_return more;
}

// Fetch → store → mark processed → advance the cursor. A mail that is gone or too big is
// passed over: nothing to store, left in the mailbox (unmarked) for a person.
asio::awaitable<bool> imap_poller::take(std::uint32_t uidvalidity, std::uint32_t uid) {
  auto fetched = co_await awaited_on(worker_, [this, uidvalidity, uid] { return client_.fetch(uidvalidity, uid); });
  bool mark = true;
  if (!fetched) {
    if (fetched.error().what == imap_error::kind::uidvalidity_changed) co_return false;  // the next round starts again
    if (fetched.error().what != imap_error::kind::gone) {
      health("degraded", fetched.error().detail);
      co_return false;
    }
    mark = false;
  } else if (fetched->size() > intake_->max_message_bytes()) {
    log::warn("email.imap_too_big", {{"source", source()}, {"uid", std::to_string(uid)}});
    mark = false;
  } else {
    email::mail_envelope envelope;  // IMAP knows no envelope: sender unknown, no recipients
    auto const [stored] = co_await awaited<mail_result>([this, &fetched, &envelope](auto done) {
      intake_->deliver(std::move(*fetched), std::move(envelope), "imap", config_.inbox, std::move(done));
    });
    if (!stored) co_return false;
  }
  if (mark) {
    auto const marked = co_await awaited_on(worker_, [this, uid] { return client_.mark_processed(uid); });
    // Unmarked mail stays visible in the mailbox; the cursor still moves on, so it is not taken twice.
    if (!marked) log::warn("email.imap_not_marked", {{"source", source()}, {"uid", std::to_string(uid)}, {"error", marked.error().detail}});
  }
  if (!co_await save_cursor(uidvalidity, uid)) co_return false;
  log::info("email.imap_processed", {{"source", source()}, {"uid", std::to_string(uid)}});
  co_return true;
}

asio::awaitable<bool> imap_poller::save_cursor(std::uint32_t uidvalidity, std::uint32_t last_uid) {
  auto const [ec, ignored] = co_await awaited<error_code, queue::redis_reply>([this, uidvalidity, last_uid](auto done) {
    redis_.execute({"HSET", cursor_key(config_.name), "uidvalidity", std::to_string(uidvalidity), "last_uid", std::to_string(last_uid)},
                   std::move(done));
  });
  co_return !ec;
}

} // namespace balie::email
