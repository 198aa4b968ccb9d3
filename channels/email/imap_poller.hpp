#pragma once
// Polls one hosted mailbox over IMAP. Its cursor (UIDVALIDITY and the last
// UID handled) lives in Redis, so a restart or another instance continues
// where the last one stopped. A message is moved (or flagged) only after it
// is stored, and the cursor advances only after that; a crash in between
// fetches the mail again, which dedup then recognises. After an outage the
// backlog is worked off batch after batch without waiting for the next poll.
// A changed UIDVALIDITY (the mailbox was recreated) restarts from UID 0:
// every mail is offered again and dedup keeps each one once. Login or fetch
// failures set the source's health to down or degraded; recovery to up.

#include "channels/email/email_intake.hpp"
#include "channels/email/imap_client.hpp"
#include "server/metrics.hpp"
#include "queue/redis_connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <mutex>
#include <utility>

namespace balie::email {

class imap_poller : public std::enable_shared_from_this<imap_poller> {
public:
  imap_poller(boost::asio::any_io_executor, imap_mailbox_config, std::shared_ptr<email_intake>, queue::redis_connection&, server::metrics&);
  ~imap_poller();
  void start();
  void stop();

  std::string source() const { return "imap:" + config_.name; }
  /// The mailbox's state (unknown, up, degraded, down, bad-credentials) and why; from any thread.
  std::pair<std::string, std::string> state() const;

private:
  boost::asio::awaitable<void> run(std::shared_ptr<imap_poller> self);
  /// One batch; true when the mailbox holds more and the next round should follow at once.
  boost::asio::awaitable<bool> round();
  /// Takes one message; false when the round must end (a temporary failure).
  boost::asio::awaitable<bool> take(std::uint32_t uidvalidity, std::uint32_t uid);
  boost::asio::awaitable<bool> save_cursor(std::uint32_t uidvalidity, std::uint32_t last_uid);
  void health(std::string_view state, std::string const& detail);

  boost::asio::any_io_executor executor_;
  imap_mailbox_config config_;
  std::shared_ptr<email_intake> intake_;
  queue::redis_connection& redis_;
  server::metrics& metrics_;
  imap_client client_;  ///< used on the worker thread only (blocking)
  boost::asio::steady_timer timer_;
  boost::asio::thread_pool worker_{1};
  std::string state_ = "unknown";  // on the poller's strand; copied under state_mutex_ for readers
  mutable std::mutex state_mutex_;
  std::pair<std::string, std::string> shared_state_{"unknown", ""};
  std::atomic<bool> stopped_{false};
};

} // namespace balie::email
