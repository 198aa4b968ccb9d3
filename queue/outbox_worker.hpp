#pragma once
// One channel's reply sender loop on `balie:out:{channel}`, shared by every
// instance through the consumer group `senders`. Each round: take over what
// another consumer has held longer than the takeover delay (its instance is
// presumed dead), retry own pending entries whose backoff has passed, then
// block for new ones, no longer than until the next retry is due. Entries
// are delivered one after another by the channel (channels/outbox.hpp); a
// `retry` waits a doubling backoff with jitter, or longer when the far side said so (instances that failed
// together do not retry together) while other entries go on, and is reported
// `queued` with the attempt and reason; after the last attempt, or at once
// for `failed`, the entry becomes a dead letter, is reported `failed` and is
// acknowledged. Nothing is acknowledged before it is delivered or given up.
// While the channel is switched off, staff replies are held (reported `held`,
// left pending, delivered once it is on again) and automatic messages — the
// notice to a resident who wrote while it was off, an acknowledgement — still
// leave: they answer something Balie accepted. One coroutine on its own
// connection's strand: a blocking read needs a connection of its own.

#include "channels/outbox.hpp"
#include "channels/time_format.hpp"
#include "queue/case_workflow.hpp"
#include "queue/stream_group.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>

namespace balie::queue {

struct outbox_settings {
  std::string channel;  ///< the outbox stream, the consumer name and the dead-letter stream
  std::chrono::milliseconds takeover_after{180'000};
  std::chrono::milliseconds block{5'000};
  std::chrono::milliseconds retry_initial{60'000};  ///< the first backoff after a `retry`; doubles
  std::chrono::milliseconds retry_max{15 * 60'000};
  int max_attempts = 0;  ///< attempts before `failed`; 0: no limit
  std::chrono::milliseconds pause{1'000};  ///< after Redis failed
  /// Whether each entry is a message on its case whose delivery status is reported there
  /// (`queued`, `held`, `failed`); false for mail that is no message on a case (team notices).
  bool reports_delivery = true;
};

class outbox_worker : public std::enable_shared_from_this<outbox_worker> {
public:
  outbox_worker(std::shared_ptr<redis_connection> own, case_workflow&, outbox_settings, clock_fn, deliver_fn, outbox_log_fn);
  void start();
  void stop();
  /// While held (the channel is switched off) staff replies stay in the outbox,
  /// reported `held`; automatic messages still leave. From any thread.
  void set_held(bool);
  /// `<channel>:<host>:<pid>`: whose pending entries these are, in XPENDING.
  std::string const& consumer() const { return consumer_; }

private:
  struct retry_state {
    int attempts = 0;
    std::chrono::steady_clock::time_point next;
    bool held = false;  ///< a staff reply read while switched off: waits for the switch, reported once
  };
  boost::asio::awaitable<void> run(std::shared_ptr<outbox_worker> self);
  /// Rounds until Redis fails (the error) or the worker stops.
  boost::asio::awaitable<boost::system::error_code> rounds();
  /// Taken over, else own pending ones due again, else new ones (blocking).
  boost::asio::awaitable<std::pair<boost::system::error_code, std::vector<stream_entry>>> next_batch();
  /// The entries not waiting out a backoff or the switch; `wait` shrinks to the nearest retry.
  std::vector<stream_entry> due(std::vector<stream_entry>, std::chrono::milliseconds& wait) const;
  boost::asio::awaitable<void> handle(stream_entry const&);
  boost::asio::awaitable<void> settle(outbox_entry const&, delivery_outcome);
  boost::asio::awaitable<void> give_up(outbox_entry const&, std::string const& reason, int attempts);
  boost::asio::awaitable<void> report(outbox_entry const&, std::string status, int attempts, std::string error);
  boost::asio::awaitable<void> ack(std::string const& id);
  boost::asio::awaitable<void> wait(std::chrono::milliseconds);
  std::chrono::milliseconds backoff(int attempts);

  std::shared_ptr<redis_connection> redis_;
  case_workflow& workflow_;
  outbox_settings settings_;
  clock_fn clock_;
  deliver_fn deliver_;
  outbox_log_fn log_;
  stream_group group_;
  std::string consumer_;
  boost::asio::steady_timer timer_;
  std::map<std::string, retry_state> retries_;  ///< own pending entries that failed for now, by stream id
  std::minstd_rand jitter_{std::random_device{}()};
  bool stopped_ = false;  ///< on the strand only
  std::atomic<bool> held_{false};
};

/// A channel sender's hold on its outbox worker. An admin's switch may come before the worker
/// exists (the sender starts after the switches are read) and from any thread; the worker starts
/// held or not as the last switch said.
class sender_outbox {
public:
  void start(std::shared_ptr<outbox_worker> worker) {
    {
      std::lock_guard lock(mutex_);
      worker->set_held(held_);
      worker_ = worker;
    }
    worker->start();
  }
  void set_held(bool held) {
    std::lock_guard lock(mutex_);
    held_ = held;
    if (worker_) worker_->set_held(held);
  }
  void stop() {
    std::shared_ptr<outbox_worker> worker;
    {
      std::lock_guard lock(mutex_);
      worker = worker_;
    }
    if (worker) worker->stop();
  }

private:
  std::mutex mutex_;
  bool held_ = false;
  std::shared_ptr<outbox_worker> worker_;
};

} // namespace balie::queue
