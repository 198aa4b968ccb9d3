#pragma once
// Mail to an inbox's team when a case has waited twice its answer time. The
// watchdog (queue/answer_watch.hpp) puts a notice in `balie:out:{team}` in
// the same step that reports the case; this sender reads it through the
// shared outbox worker (queue/outbox_worker.hpp: other instances, takeover,
// backoff, dead letters in `balie:dead:{team}`) and hands a short mail to the
// relay the email channel uses: the case reference, the inbox, the promised
// answer day, and what to do. No resident data: the team opens the case in
// Balie. A notice is not a message on the case, so the case gets no delivery
// report; the relay's refusal is in the log and the dead letters.

#include "channels/email/email_sender.hpp"

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>

namespace balie::email {

struct team_notice_mail {
  std::string to;       ///< the team's address
  std::string message;  ///< RFC 5322
};

/// The notice's mail; `msg` is the notice as the watchdog wrote it. Exposed for tests.
outcome<team_notice_mail> compose_team_notice(std::string const& msg, email_config const&, timestamp now);

class team_notice_sender : public std::enable_shared_from_this<team_notice_sender> {
public:
  team_notice_sender(email_config, outbox_config, std::shared_ptr<queue::redis_connection> own, queue::case_workflow&, clock_fn,
                     smtp_transport = send_with_curl, server::metrics* stats = nullptr);
  ~team_notice_sender();
  void start();
  void stop();

private:
  void deliver(outbox_entry const&, delivery_done);

  email_config config_;
  outbox_config outbox_config_;
  std::shared_ptr<queue::redis_connection> redis_;
  queue::case_workflow& workflow_;
  clock_fn clock_;
  smtp_transport transport_;
  server::metrics* stats_;
  std::shared_ptr<queue::outbox_worker> outbox_;
  boost::asio::thread_pool worker_{1};
  std::atomic<bool> cancelled_{false};
};

} // namespace balie::email
