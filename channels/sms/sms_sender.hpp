#pragma once
// Staff replies and Balie's automatic SMS leave through the provider named
// by `send_via`: the sender reads `balie:out:{sms}` with the shared outbox
// worker (queue/outbox_worker.hpp: takeover, backoff, dead letters, holding
// while the channel is off) and delivers one reply at a time as a coroutine:
// read the number → check the opt-out (a number that sent STOP gets nothing
// but the confirmation of it, and staff see why) → the provider's request →
// the call on the sender's own thread, bounded by `send_timeout` → record
// (the number takes part in the case, its next SMS joins it) and report `sent`.
// A provider that keeps failing opens its circuit; replies wait meanwhile.

#include "channels/circuit_breaker.hpp"
#include "channels/outbox.hpp"
#include "channels/sms/provider_http.hpp"
#include "channels/sms/settings.hpp"
#include "channels/time_format.hpp"
#include "queue/outbox_worker.hpp"
#include "queue/sms_numbers.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <mutex>
#include <set>

namespace balie::queue {
class case_workflow;
}
namespace balie::server {
class metrics;
}

namespace balie::sms {

/// How the provider was doing at the last call.
enum class provider_state { answered, unreachable, bad_credentials, circuit_open };

class sms_sender : public std::enable_shared_from_this<sms_sender> {
public:
  sms_sender(sms_config, outbox_config, std::shared_ptr<queue::redis_connection> own, queue::sms_numbers, queue::case_workflow&, clock_fn,
             provider_call = call_with_curl, server::metrics* stats = nullptr);
  ~sms_sender();
  void start();
  void stop();
  /// Switched off: replies wait in the outbox (reported `held`); automatic SMS still leave. From any thread.
  void set_held(bool);
  /// The provider as the last call found it, and why; from any thread.
  std::pair<provider_state, std::string> provider() const;

private:
  void deliver(outbox_entry const&, delivery_done);
  boost::asio::awaitable<delivery_outcome> send(std::shared_ptr<sms_sender> self, outbox_entry);
  provider_request request_for(outbox_entry const&, std::string const& to, std::string const& text) const;
  void note(provider_state, std::string);

  sms_config config_;
  provider_config const& provider_;
  outbox_config outbox_config_;
  std::shared_ptr<queue::redis_connection> redis_;
  queue::sms_numbers numbers_;
  queue::case_workflow& workflow_;
  clock_fn clock_;
  provider_call call_;
  server::metrics* stats_;
  queue::sender_outbox outbox_;
  channels::circuit_breaker breaker_;         ///< on the worker's strand
  std::set<std::string> accepted_;  ///< entries the provider took whose recording failed; on the worker's strand
  boost::asio::thread_pool worker_{1};
  std::atomic<bool> cancelled_{false};
  mutable std::mutex state_mutex_;
  std::pair<provider_state, std::string> state_{provider_state::answered, ""};
};

} // namespace balie::sms
