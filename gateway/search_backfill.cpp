#include "gateway/search_backfill.hpp"

#include "gateway/staff_views.hpp"
#include "queue/keys.hpp"
#include "search/index_terms.hpp"
#include "search/snippet.hpp"
#include "server/log.hpp"

namespace balie::gateway {
namespace {

/// Longer than a pass takes between two batches; a dead instance's lock is free again after it.
constexpr std::chrono::seconds lock_ttl{300};
constexpr std::size_t batch = 100;

} // namespace

search_backfill::search_backfill(std::shared_ptr<queue::case_search> search, queue::case_store& store,
                                 std::shared_ptr<queue::redis_connection> redis, server::offload_fn offload)
    : search_(std::move(search)), store_(store), redis_(std::move(redis)), offload_(std::move(offload)) {}

void search_backfill::start() {
  if (running_.exchange(true)) return;
  search_->claim_backfill(lock_ttl, [self = shared_from_this()](boost::system::error_code ec, queue::case_search::backfill_claim claim) {
    if (ec || claim != queue::case_search::backfill_claim::mine) {
      if (!ec && claim == queue::case_search::backfill_claim::done) server::log::info("search.backfill.done_before");
      if (!ec && claim == queue::case_search::backfill_claim::busy) server::log::info("search.backfill.busy");
      self->running_ = false;
      return;
    }
    self->redis_->execute({"SMEMBERS", std::string(queue::keys::inboxes)}, [self](boost::system::error_code ec, queue::redis_reply r) {
      if (ec) return self->fail(ec);
      self->inboxes_.clear();
      for (auto const& e : r.elements) self->inboxes_.push_back(e.str);
      self->indexed_ = 0;
      server::log::info("search.backfill.started", {{"inboxes", std::to_string(self->inboxes_.size())}});
      self->next_inbox();
    });
  });
}

void search_backfill::next_inbox() {
  if (inboxes_.empty()) {
    return search_->finish_backfill([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->fail(ec);
      server::log::info("search.backfill.done", {{"cases", std::to_string(self->indexed_)}});
      self->running_ = false;
    });
  }
  offset_ = 0;
  next_batch();
}

void search_backfill::next_batch() {
  // Renewed with every batch: the lock outlives a pass only by its time-to-live.
  redis_->execute({"EXPIRE", std::string(queue::keys::search_backfill_lock), std::to_string(lock_ttl.count())}, [](auto, auto) {});
  search_->cases_page(inboxes_.back(), offset_, batch, [self = shared_from_this()](boost::system::error_code ec, std::vector<std::string> ids, bool more) {
    if (ec) return self->fail(ec);
    self->offset_ += batch;
    self->last_batch_ = !more;
    self->index_one(std::move(ids), 0);
  });
}

void search_backfill::index_one(std::vector<std::string> ids, std::size_t at) {
  if (at == ids.size()) {
    if (!last_batch_) return next_batch();
    inboxes_.pop_back();
    return next_inbox();
  }
  auto const id = ids[at];
  store_.read_case(id, max_case_messages, [self = shared_from_this(), ids = std::move(ids), at, id](boost::system::error_code ec, queue::case_record c) mutable {
    if (ec) return self->fail(ec);
    // Parsing up to max_case_messages messages: not on the Redis strand that answered.
    self->offload_([self, ids = std::move(ids), at, id, c = std::move(c)]() mutable {
      std::vector<std::pair<long long, std::vector<std::string>>> messages;
      std::string preview;
      for (auto const& stored : c.messages) {
        auto const m = stored_case_message(stored);
        if (!m || m->direction != direction::inbound) continue;
        messages.emplace_back(m->received_at.time_since_epoch().count(), search::index_tokens(*m));
        preview = search::first_line(m->text);
      }
      self->search_->add_to_index(id, messages, preview, [self, ids = std::move(ids), at](boost::system::error_code ec) mutable {
        if (ec) return self->fail(ec);
        ++self->indexed_;
        self->index_one(std::move(ids), at + 1);
      });
    });
  });
}

void search_backfill::fail(boost::system::error_code ec) {
  // The lock expires; the next start (or reconnect) runs the pass again from the beginning, skipping what is indexed.
  server::log::warn("search.backfill.stopped", {{"error", ec.message()}});
  running_ = false;
}

} // namespace balie::gateway
