#include "queue/outbox_worker.hpp"

#include "channels/awaited.hpp"
#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"
#include "queue/lua_script.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <unistd.h>

#include <utility>

namespace balie::queue {
namespace asio = boost::asio;
using boost::system::error_code;
namespace {

/// Entries taken per read: a dead instance's or new ones, and own pending ones (retries).
constexpr std::size_t claim_batch = 20;
constexpr std::size_t pending_batch = 100;

std::string consumer_name(std::string const& channel) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return channel + ":" + host + ":" + std::to_string(getpid());
}

/// A dead letter, recorded on its case so the case's destruction finds it.
/// ARGV: 1 dead-letter stream, 2 case, 3 message id, 4 reason, 5 message JSON
lua_script const& dead_letter_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + R"lua(
local id = redis.call('XADD', ARGV[1], '*', 'case_id', ARGV[2], 'message_id', ARGV[3], 'reason', ARGV[4], 'msg', ARGV[5])
track_entry(ARGV[2], ARGV[1], id)
return id
)lua");
  return s;
}

} // namespace

outbox_worker::outbox_worker(std::shared_ptr<redis_connection> own, case_workflow& workflow, outbox_settings settings, clock_fn clock,
                             deliver_fn deliver, outbox_log_fn log)
    : redis_(std::move(own)), workflow_(workflow), settings_(std::move(settings)), clock_(std::move(clock)), deliver_(std::move(deliver)),
      log_(std::move(log)), group_(redis_, keys::outbound(settings_.channel), std::string(keys::senders_group)),
      consumer_(consumer_name(settings_.channel)), timer_(redis_->strand()) {}

void outbox_worker::start() {
  redis_->start();
  asio::co_spawn(redis_->strand(), run(shared_from_this()), [log = log_, channel = settings_.channel](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (std::exception const& ex) {  // never on the I/O thread: replies would stop unseen
      log("worker_stopped", outbox_entry{}, 0, ex.what());
    }
  });
}

void outbox_worker::stop() {
  asio::post(redis_->strand(), [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
    self->redis_->stop();  // a command in flight fails with shutting_down
  });
}

void outbox_worker::set_held(bool held) {
  held_ = held;
  if (held) return;
  asio::post(redis_->strand(), [self = shared_from_this()] {
    for (auto& [id, r] : self->retries_) r.held = false;  // due with the next read of own pending entries
  });
}

// The consumer group first, and again after any failure: Redis may have been
// unreachable, or restarted without the group.
asio::awaitable<void> outbox_worker::run([[maybe_unused]] std::shared_ptr<outbox_worker> self) {
  while (!stopped_) {
    auto [ec] = co_await awaited<error_code>([this](auto done) { group_.ensure(std::move(done)); });
    if (!ec) ec = co_await rounds();
    if (!stopped_) co_await wait(settings_.pause);
  }
}

asio::awaitable<error_code> outbox_worker::rounds() {
  while (!stopped_) {
    auto [ec, batch] = co_await next_batch();
    if (ec) co_return ec;
    for (auto const& e : batch) {
      if (stopped_) break;
      co_await handle(e);
    }
  }
  co_return error_code{};
}

asio::awaitable<std::pair<error_code, std::vector<stream_entry>>> outbox_worker::next_batch() {
  using entries = std::vector<stream_entry>;
  auto wait = settings_.block;
  auto [ec, taken] = co_await awaited<error_code, autoclaim_result>(
      [this](auto done) { group_.autoclaim(consumer_, settings_.takeover_after, "0-0", claim_batch, std::move(done)); });
  if (ec) co_return std::pair{ec, entries{}};
  if (auto ready = due(std::move(taken.claimed), wait); !ready.empty()) co_return std::pair{ec, std::move(ready)};
  // Reading own pending entries again also tells the group this consumer is alive. Page
  // on while a whole page waits (held replies must not hide a due retry behind them).
  for (std::string from = "0";;) {
    auto [failed, pending] = co_await awaited<error_code, entries>(
        [this, &from](auto done) { group_.read(consumer_, pending_batch, std::nullopt, from, std::move(done)); });
    if (failed) co_return std::pair{failed, entries{}};
    auto const full = pending.size() == pending_batch;
    if (full) from = pending.back().id;
    if (auto ready = due(std::move(pending), wait); !ready.empty()) co_return std::pair{ec, std::move(ready)};
    if (!full) break;
  }
  auto [failed, fresh] = co_await awaited<error_code, entries>(
      [this, wait](auto done) { group_.read(consumer_, claim_batch, wait, ">", std::move(done)); });
  co_return std::pair{failed, std::move(fresh)};
}

std::vector<stream_entry> outbox_worker::due(std::vector<stream_entry> entries, std::chrono::milliseconds& wait) const {
  auto const now = std::chrono::steady_clock::now();
  std::vector<stream_entry> out;
  for (auto& e : entries) {
    auto it = retries_.find(e.id);
    if (it == retries_.end()) out.push_back(std::move(e));
    else if (it->second.held && held_) continue;
    else if (it->second.next <= now) out.push_back(std::move(e));
    else wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(it->second.next - now) + std::chrono::milliseconds(1));
  }
  return out;
}

asio::awaitable<void> outbox_worker::handle(stream_entry const& e) {
  auto const retry = retries_.find(e.id);
  outbox_entry const entry{e.id, e.field("case_id"), e.field("message_id"), e.field("msg"), retry == retries_.end() ? 0 : retry->second.attempts};
  if (held_ && e.field("automatic") != "1") {
    // Switched off: the reply stays pending (read again once on), and staff see why it waits.
    auto& r = retries_[e.id];
    r.attempts = entry.attempts;
    if (!std::exchange(r.held, true)) co_await report(entry, "held", entry.attempts, "");
    co_return;
  }
  auto [outcome] = co_await awaited<delivery_outcome>([this, &entry](auto done) { deliver_(entry, std::move(done)); });
  if (!stopped_) co_await settle(entry, std::move(outcome));
}

asio::awaitable<void> outbox_worker::settle(outbox_entry const& e, delivery_outcome o) {
  auto const now = std::chrono::steady_clock::now();
  switch (o.outcome) {
  case delivery_outcome::kind::done:
    log_("sent", e, e.attempts + 1, "");
    // Not acknowledged (Redis failed just now): the entry comes again, and the channel's own
    // record of the delivery keeps it from going out twice.
    co_await ack(e.id);
    co_return;
  case delivery_outcome::kind::store_unavailable:
    retries_[e.id].next = now + settings_.pause;
    co_return;
  case delivery_outcome::kind::failed:
    co_await give_up(e, o.detail, e.attempts + 1);
    co_return;
  case delivery_outcome::kind::retry:
    break;
  }
  auto& r = retries_[e.id];
  r.attempts = e.attempts + 1;
  if (settings_.max_attempts > 0 && r.attempts >= settings_.max_attempts) {
    co_await give_up(e, o.detail, r.attempts);
    co_return;
  }
  r.next = now + std::max(backoff(r.attempts), o.retry_after);
  log_("send_deferred", e, r.attempts, o.detail);
  co_await report(e, "queued", r.attempts, o.detail);
}

asio::awaitable<void> outbox_worker::give_up(outbox_entry const& e, std::string const& reason, int attempts) {
  log_("dead_letter", e, attempts, reason);
  auto const [ec, reply] = co_await awaited<error_code, redis_reply>([this, &e, &reason](auto done) {
    dead_letter_script().run(*redis_, {}, {keys::dead_letters(settings_.channel), e.case_id, e.message_id, reason, e.msg}, std::move(done));
  });
  if (ec) {  // tried again after the pause; the reason comes again with it
    retries_[e.id].next = std::chrono::steady_clock::now() + settings_.pause;
    co_return;
  }
  co_await report(e, "failed", attempts, reason);
  co_await ack(e.id);
}

asio::awaitable<void> outbox_worker::report(outbox_entry const& e, std::string status, int attempts, std::string error) {
  if (!settings_.reports_delivery) co_return;
  delivery_update const u{e.case_id, e.message_id, std::move(status), attempts, std::move(error), format_rfc3339(clock_())};
  co_await awaited<error_code, action_result>([this, &u](auto done) { workflow_.report_delivery(u, std::move(done)); });
}

asio::awaitable<void> outbox_worker::ack(std::string const& id) {
  co_await awaited<error_code, long long>([this, &id](auto done) { group_.ack({id}, std::move(done)); });
  retries_.erase(id);
}

asio::awaitable<void> outbox_worker::wait(std::chrono::milliseconds d) {
  timer_.expires_after(d);
  co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

/// Doubling from the first wait up to the maximum, then somewhere between half and all of it.
std::chrono::milliseconds outbox_worker::backoff(int attempts) {
  auto const doubled = settings_.retry_initial * (1LL << std::min(attempts - 1, 20));
  auto const full = std::min<std::chrono::milliseconds>(doubled, settings_.retry_max).count();
  std::uniform_int_distribution<long long> spread(0, full / 2);
  return std::chrono::milliseconds(full - full / 2 + spread(jitter_));
}

} // namespace balie::queue
