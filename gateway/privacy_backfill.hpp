#pragma once
// Cases stored before retention and confidential cases existed are brought
// up to date once, in the background, by one instance at a time (a Redis
// lock that expires; a dead instance's pass is taken up at the next start):
//  1. every inbox, outbound and dead-letter stream is read once, and each
//     entry is recorded on its case, so the case's destruction finds it;
//  2. every case is read: the files its residents' messages refer to are
//     counted, it is made confidential if a message was marked so or names a
//     possible BSN (in its text or subject; older versions did not look at
//     every channel), it takes the topic routing gave it, and a closed case's
//     retention term starts from its close.
// Every step is idempotent, so a pass that stopped half-way is run again
// from the start. A mark ends it for good; on a new installation at once.

#include "channels/time_format.hpp"
#include "gateway/retention_config.hpp"
#include "queue/case_retention.hpp"
#include "queue/case_search.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>

namespace balie::gateway {

class privacy_backfill : public std::enable_shared_from_this<privacy_backfill> {
public:
  privacy_backfill(boost::asio::any_io_executor, std::shared_ptr<queue::redis_connection>, queue::case_store&,
                   std::shared_ptr<queue::case_search>, std::shared_ptr<queue::case_retention>, boost::asio::thread_pool& work,
                   std::function<retention_config()> terms);

  /// Starts the pass unless it is done, running, or another instance has it; `done` (optional) when it ends
  /// (true: finished, now or before). Safe to call on every reconnect.
  void start(std::function<void(bool)> done = {});

private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<queue::redis_connection> redis_;
  queue::case_store& store_;
  std::shared_ptr<queue::case_search> search_;
  std::shared_ptr<queue::case_retention> retention_;
  boost::asio::thread_pool& work_;
  std::function<retention_config()> terms_;
  std::atomic<bool> running_{false};  ///< start() comes from the connection's events, the pass runs on its own strand
};

} // namespace balie::gateway
