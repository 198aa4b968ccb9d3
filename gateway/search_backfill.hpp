#pragma once
// Cases stored before the search index existed are indexed once, in the
// background, by one instance at a time (a Redis lock that expires, so a
// dead instance's pass is taken up at the next start), batch by batch: each
// inbox's cases oldest first, read, their residents' messages tokenised off
// the Redis strand, and their tokens added in the inbox the case is in now.
// Every case is read, not only those without tokens: an old case a resident
// wrote to again since the upgrade has tokens of its new message only.
// Indexing is idempotent, so a pass that stopped half-way is simply run
// again. When every inbox is done a mark ends it for good; on a new
// installation that is at once.

#include "queue/case_search.hpp"
#include "server/http_route.hpp"

#include <atomic>
#include <memory>

namespace balie::gateway {

class search_backfill : public std::enable_shared_from_this<search_backfill> {
public:
  search_backfill(std::shared_ptr<queue::case_search>, queue::case_store&, std::shared_ptr<queue::redis_connection>, server::offload_fn);

  /// Starts the pass unless it is done, running, or another instance has it. Safe to call on every reconnect.
  void start();

private:
  void next_inbox();
  void next_batch();
  void index_one(std::vector<std::string> ids, std::size_t at);
  void fail(boost::system::error_code);

  std::shared_ptr<queue::case_search> search_;
  queue::case_store& store_;
  std::shared_ptr<queue::redis_connection> redis_;
  server::offload_fn offload_;
  std::atomic<bool> running_{false};  ///< start() comes from the connection's events, the pass from its replies
  std::vector<std::string> inboxes_;
  std::size_t offset_ = 0;
  bool last_batch_ = false;  ///< the batch being indexed is the inbox's last
  std::size_t indexed_ = 0;
};

} // namespace balie::gateway
