#pragma once
// The hand-over to Open Klant: when a case closes, the close script puts it
// on `balie:out:{openklant}`; this exporter reads that outbox with the shared
// outbox worker (queue/outbox_worker.hpp: takeover, backoff, dead letters)
// and hands each of the case's messages over as a contact moment
// (openklant/klantcontact.hpp), in order:
//   1. `POST /maak-klantcontact` (klantcontact, betrokkene, onderwerpobject, atomically);
//   2. `POST /digitaleadressen` with the betrokkene as the one who gave it;
//   3. `POST /bijlagen`, one per file and for a full text that was cut;
// and stores each uuid in the case's `:openklant` hash as it comes back.
// Open Klant has no idempotency key, so before step 1 the exporter looks the
// klantcontact up by `referentienummer` and matches `kanaal` and
// `plaatsgevondenOp` (as instants: Open Klant answers in local time): a crash
// between Open Klant's `201` and storing the uuid never makes a second one.
// Steps 2 and 3 of a klantcontact made in an earlier attempt first list what
// exists. A `400` makes the case a dead letter with the fields Open Klant
// named; anything else is tried again after a backoff. Each call runs on the
// exporter's own thread, bounded by the timeout, so a hanging Open Klant
// holds nothing else. Reopened and closed again, a case is handed over again:
// only its new messages go.

#include "channels/outbound_http.hpp"
#include "channels/outbox.hpp"
#include "channels/time_format.hpp"
#include "openklant/settings.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

namespace balie::queue {
class redis_connection;
class case_store;
class case_workflow;
class outbox_worker;
}
namespace balie::server {
class metrics;
}

namespace balie::openklant {

struct contact_moment;
struct api_result;

/// How Open Klant answered the last call: `up`, `down` (no or a failing answer), `bad-credentials`; why, for admins.
struct handover_health {
  std::string state = "up";
  std::string reason;
};

class exporter : public std::enable_shared_from_this<exporter> {
public:
  exporter(openklant_config, outbox_config, std::shared_ptr<queue::redis_connection> own, std::shared_ptr<queue::redis_connection> shared,
           queue::case_store&, queue::case_workflow&, clock_fn, channels::outbound_call = channels::call_with_curl,
           server::metrics* stats = nullptr);
  ~exporter();
  void start();
  void stop();
  handover_health health() const;

private:
  using progress = std::map<std::string, std::string>;
  void deliver(outbox_entry const&, delivery_done);
  boost::asio::awaitable<delivery_outcome> hand_over(std::shared_ptr<exporter> self, outbox_entry);
  /// One message, resuming where an earlier attempt stopped; empty detail: done.
  boost::asio::awaitable<delivery_outcome> hand_over_message(std::string const& case_id, contact_moment const&, progress&);
  boost::asio::awaitable<api_result> call(channels::outbound_request const&, long expected, std::string const& what);
  /// Every page of `collection?filter` as one `results` list; what a call gave when it failed.
  boost::asio::awaitable<api_result> list(std::string const& query);
  boost::asio::awaitable<bool> remember(std::string const& case_id, std::vector<std::string> fields);
  void note(handover_health);

  openklant_config config_;
  outbox_config outbox_config_;
  std::shared_ptr<queue::redis_connection> own_, redis_;
  queue::case_store& store_;
  queue::case_workflow& workflow_;
  clock_fn clock_;
  channels::outbound_call call_;
  server::metrics* stats_;
  std::shared_ptr<queue::outbox_worker> worker_;
  boost::asio::thread_pool calls_{1};
  std::atomic<bool> cancelled_{false};
  mutable std::mutex health_mutex_;
  handover_health health_;
};

} // namespace balie::openklant
