#pragma once
// Staff replies (and acknowledgements) leave by SMTP. The sender reads
// `balie:out:{email}` as consumer group `senders`, composes each mail
// (channels/email/outbound_mail) with a Message-ID that names its case and
// message, the case's reply token in Reply-To and a VERP envelope sender,
// and hands it to the relay with libcurl on a thread of its own. The outbox
// worker (queue/outbox_worker.hpp) acknowledges an entry only after the relay
// accepted it (`sent`) or refused it for good (`failed`, and a dead letter);
// a temporary failure stays pending and is tried again with backoff, other
// mail going on meanwhile; a dead instance's entries are taken over.

#include "channels/email/mail_intake.hpp"
#include "channels/ids.hpp"
#include "channels/time_format.hpp"
#include "channels/email/settings.hpp"
#include "channels/outbox.hpp"
#include "channels/resident_texts.hpp"
#include "queue/case_store.hpp"
#include "queue/case_workflow.hpp"
#include "queue/email_threads.hpp"
#include "queue/outbox_worker.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <memory>

namespace balie::server {
class metrics;
}

namespace balie::email {

/// How the relay itself is doing: it answered, could not be reached, or refused Balie's login.
enum class relay_state { answered, unreachable, bad_credentials };

/// A mail the relay did not take is tried again after a doubling wait, never longer than this.
inline constexpr std::chrono::milliseconds max_send_backoff{15 * 60 * 1000};

/// Why one SMTP transaction did not hand the mail over.
struct smtp_failure {
  bool permanent = false;  ///< refused for good (5xx); otherwise it may pass later
  std::string detail;      ///< the relay's reply or the transport error, for staff and logs
  relay_state relay = relay_state::answered;
};

/// What one SMTP transaction came to: handed over, or why not.
using smtp_result = boost::system::result<void, smtp_failure>;

/// Sends one message through the relay (blocking; libcurl); gives up at once
/// when `cancelled` turns true (shutdown). Replaceable in tests.
using smtp_transport = std::function<smtp_result(email_config const&, std::string const& envelope_from, std::string const& recipient,
                                                 std::string const& message, std::atomic<bool> const& cancelled)>;
smtp_result send_with_curl(email_config const&, std::string const& envelope_from, std::string const& recipient,
                           std::string const& message, std::atomic<bool> const& cancelled);

class email_sender : public std::enable_shared_from_this<email_sender> {
public:
  email_sender(email_config, outbox_config, std::shared_ptr<queue::redis_connection> own, queue::case_store&, queue::email_threads,
               queue::case_workflow&, std::shared_ptr<channels::resident_texts const>, clock_fn,
               smtp_transport = send_with_curl, server::metrics* stats = nullptr);
  ~email_sender();
  void start();
  void stop();
  /// Switched off: replies wait in the outbox (reported `held`) until it is on again. From any thread.
  void set_held(bool);
  /// The relay as the last transfer found it, and why; from any thread.
  std::pair<relay_state, std::string> relay() const;

private:
  void deliver(outbox_entry const&, delivery_done);
  boost::asio::awaitable<delivery_outcome> send(std::shared_ptr<email_sender> self, outbox_entry);
  boost::asio::awaitable<boost::system::result<std::string, delivery_outcome>> compose(outbox_entry const&, nlohmann::json const& msg,
                                                                                      std::string const& to_address,
                                                                                      std::string const& rfc_message_id);

  email_config config_;
  outbox_config outbox_config_;
  email::mail_identity identity_;
  std::shared_ptr<queue::redis_connection> redis_;
  queue::case_store& store_;
  queue::email_threads threads_;  ///< on the shared connection: the own one blocks on the outbox
  queue::case_workflow& workflow_;
  std::shared_ptr<channels::resident_texts const> texts_;  ///< the subject of a reply to a case without one
  clock_fn clock_;
  smtp_transport transport_;
  queue::sender_outbox outbox_;
  std::set<std::string> relayed_;  ///< entries the relay accepted whose recording failed; on the worker's strand
  boost::asio::thread_pool worker_{1};
  std::atomic<bool> cancelled_{false};  ///< read by the transfer in flight
  server::metrics* stats_;
  mutable std::mutex relay_mutex_;
  std::pair<relay_state, std::string> relay_{relay_state::answered, ""};
};

} // namespace balie::email
