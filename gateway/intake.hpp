#pragma once
// The gateway's inbound_sink: route, make the promise (gateway/promises.hpp)
// for a resident's message, then enqueue atomically. It counts what
// is in flight so that shutdown can wait for every started enqueue to finish
// before the process exits (and so before any sender goes unanswered).

#include "channels/ids.hpp"
#include "channels/inbound_sink.hpp"
#include "server/metrics.hpp"
#include "gateway/promises.hpp"
#include "queue/case_store.hpp"
#include "routing/router.hpp"

#include <atomic>
#include <mutex>

namespace balie::gateway {
using namespace server;

class intake final : public inbound_sink {
public:
  intake(queue::case_store&, std::shared_ptr<routing::router const>, std::shared_ptr<promises const>, metrics&, id_source&);

  void submit(case_message, std::string dedup_key, submit_handler, submit_options = {}) override;

  void set_router(std::shared_ptr<routing::router const>);
  /// Told of each new case after it is durable (the assignment proposes it to a person). Set before the first submit.
  void on_new_case(std::function<void(std::string const& case_id, std::string const& inbox)>);
  /// From now on submissions fail with `shutting_down`.
  void drain() { draining_ = true; }
  std::size_t in_flight() const { return in_flight_.load(); }

private:
  struct job;
  void attempt(std::shared_ptr<job>);

  queue::case_store& store_;
  mutable std::mutex router_mutex_;
  std::shared_ptr<routing::router const> router_;
  std::shared_ptr<promises const> promises_;
  metrics& metrics_;
  id_source& ids_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::function<void(std::string const&, std::string const&)> new_case_;
};

} // namespace balie::gateway
