#pragma once
// Messenger replies and Balie's automatic messages leave from
// `balie:out:{messenger}` through the shared outbox worker
// (queue/outbox_worker.hpp: takeover, backoff with jitter, dead letters,
// holding while the channel is off), each by the platform of the resident's
// address. WhatsApp: no text that asks for a BSN; free text only within 24
// hours of the resident's last message (else the approved template, when
// staff chose it, or a dead letter that says why); through Meta's Cloud API,
// CM.com or Twilio (`via`), Balie's ids riding along as Meta's
// `biz_opaque_callback_data`, CM's reference or Twilio's status URL.
// Matrix: to the room the resident last wrote from, with Balie's message id
// as the transaction id, so a retry is never a second event. Each platform has its own worker thread, its circuit
// breaker and its health; a 429 is honoured with the wait it names. A
// platform that refuses Balie's token reports `bad-credentials`.

#include "channels/circuit_breaker.hpp"
#include "channels/messenger/send_answer.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/outbound_http.hpp"
#include "channels/outbox.hpp"
#include "channels/time_format.hpp"
#include "queue/messenger_contacts.hpp"
#include "queue/outbox_worker.hpp"

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

namespace balie::messenger {

/// How a platform was doing at the last call.
struct platform_health {
  enum class state { answered, unreachable, bad_credentials, circuit_open };
  state now = state::answered;
  std::string why;
};

class messenger_sender : public std::enable_shared_from_this<messenger_sender> {
public:
  messenger_sender(messenger_config, outbox_config, std::shared_ptr<queue::redis_connection> own, queue::messenger_contacts,
                   queue::case_workflow&, clock_fn, channels::outbound_call = channels::call_with_curl, server::metrics* stats = nullptr);
  ~messenger_sender();
  void start();
  void stop();
  /// Switched off: replies wait in the outbox (reported `held`); automatic messages still leave. From any thread.
  void set_held(bool);
  /// A platform as the last call found it; from any thread.
  platform_health health(std::string const& platform) const;
  /// One call to a platform's API on that platform's worker (the intake's joins); `done` from that worker.
  void call(std::string const& platform, channels::outbound_request, std::function<void(channels::outbound_answer)> done);

private:
  struct platform_lane;
  void deliver(outbox_entry const&, delivery_done);
  boost::asio::awaitable<delivery_outcome> send(std::shared_ptr<messenger_sender> self, outbox_entry);
  boost::asio::awaitable<delivery_outcome> send_whatsapp(outbox_entry const&, std::string const& to, std::string const& text,
                                                         std::string const& rule, bool automatic, std::string const& reference);
  boost::asio::awaitable<delivery_outcome> send_matrix(outbox_entry const&, std::string const& to, std::string const& text);
  /// The call on the lane's worker, through its breaker; the answer read by `read`.
  boost::asio::awaitable<send_answer> attempt(platform_lane&, channels::outbound_request, send_answer (*read)(channels::outbound_answer const&));
  boost::asio::awaitable<delivery_outcome> recorded(outbox_entry const&, std::string const& address, std::string const& platform_id);
  platform_lane* lane(std::string const& platform) const;

  messenger_config config_;
  outbox_config outbox_config_;
  std::shared_ptr<queue::redis_connection> redis_;
  queue::messenger_contacts contacts_;
  queue::case_workflow& workflow_;
  clock_fn clock_;
  channels::outbound_call call_;
  server::metrics* stats_;
  queue::sender_outbox outbox_;
  std::unique_ptr<platform_lane> whatsapp_, matrix_;
  std::map<std::string, std::string> accepted_;  ///< entry → platform id the platform took but recording failed; on the worker's strand
  std::atomic<bool> cancelled_{false};
};

} // namespace balie::messenger
