#include "gateway/intake.hpp"

#include "server/log.hpp"
#include "queue/keys.hpp"
#include "queue/errc.hpp"
#include "search/index_terms.hpp"
#include "search/snippet.hpp"

namespace balie::gateway {
using namespace server;
namespace {
/// A reference collision is rare (one in ~10^9 per pair); three tries make a
/// failure practically impossible while still bounding the work.
constexpr int max_reference_tries = 3;

queue::thread_lookup lookup_for(std::optional<thread_hints> const& hints) {
  queue::thread_lookup t;
  if (!hints) return t;
  for (auto const& token : hints->reply_tokens) t.keys.push_back(queue::keys::email_token(token));
  for (auto const& id : hints->message_ids) t.keys.push_back(queue::keys::email_message(id));
  for (auto const& ref : hints->references) t.keys.push_back(queue::keys::reference(ref));
  t.participant = hints->participant;
  for (auto const& id : hints->own_ids) t.index_keys.push_back(queue::keys::email_message(id));
  t.index_ttl = queue::keys::thread_index_ttl;
  if (!hints->recent_number.empty()) {  // SMS: the number's last case, refreshed by this message
    t.keys.push_back(queue::keys::sms_recent(hints->recent_number));
    t.index_keys.push_back(queue::keys::sms_recent(hints->recent_number));
    t.index_ttl = hints->recent_window;
  }
  return t;
}
} // namespace

/// One submission on its way to Redis, across reference retries.
struct intake::job {
  case_message message;
  std::string dedup_key;
  submit_handler handler;
  submit_options options;
  std::optional<promises::made> promise;
  queue::case_index index;
  std::chrono::steady_clock::time_point started;
  int tries = 1;
};

intake::intake(queue::case_store& store, std::shared_ptr<routing::router const> router, std::shared_ptr<promises const> p, metrics& m,
               id_source& ids)
    : store_(store), router_(std::move(router)), promises_(std::move(p)), metrics_(m), ids_(ids) {}

void intake::set_router(std::shared_ptr<routing::router const> r) {
  std::lock_guard lock(router_mutex_);
  router_ = std::move(r);
}

void intake::submit(case_message m, std::string dedup_key, submit_handler handler, submit_options options) {
  ++in_flight_;  // before the check, so drain never misses a submission
  if (draining_) {
    --in_flight_;
    return handler(queue::errc::shutting_down, {});
  }
  {
    std::lock_guard lock(router_mutex_);
    m.routing = router_->route(m);
  }
  // A channel's own address map (an email address's inbox) comes after the configured rules, before the channel's inbox.
  bool const by_rule = m.routing->rule != "default" && !m.routing->rule.starts_with("channel:");
  if (!options.inbox.empty() && !by_rule) m.routing->inbox = options.inbox, m.routing->rule = "channel-address";
  if (options.priority) m.routing->priority = *options.priority;
  auto j = std::make_shared<job>();
  // A resident's message is promised an answer; an automatic one (an auto-reply, a bounce) waits for nobody.
  if (m.direction == direction::inbound && !m.auto_generated) j->promise = promises_->for_message(m.routing->inbox, m.received_at);
  // What staff find it by and see of it in the case list: computed here, written with it in one step.
  if (m.direction == direction::inbound) j->index = {search::index_tokens(m), search::first_line(m.text)};
  j->message = std::move(m);
  j->dedup_key = std::move(dedup_key);
  j->handler = std::move(handler);
  j->options = std::move(options);
  j->started = std::chrono::steady_clock::now();
  attempt(std::move(j));
}

void intake::on_new_case(std::function<void(std::string const&, std::string const&)> f) { new_case_ = std::move(f); }

void intake::attempt(std::shared_ptr<job> j) {
  auto const promise = j->promise ? std::optional(j->promise->promise) : std::nullopt;
  store_.enqueue(j->message, j->dedup_key, /*may_create=*/true, [this, j](boost::system::error_code ec, queue::enqueue_result r) {
    auto& m = j->message;
    auto const channel = to_string(m.channel);
    if (ec == queue::errc::reference_taken && j->tries < max_reference_tries) {
      m.reference = ids_.case_reference();
      ++j->tries;
      return attempt(j);
    }
    if (ec) {
      metrics_.enqueue_failed(channel, m.provider);
      log::warn("intake.not_durable", {{"channel", channel}, {"provider", m.provider}, {"message_id", m.id},
                                       {"error", ec.message()}});
    } else {
      metrics_.enqueue_latency(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - j->started));
      if (r.duplicate) metrics_.duplicated(channel, m.provider);
      else metrics_.received(channel, m.provider);
      log::info(r.duplicate ? "intake.duplicate" : "intake.stored",
                {{"channel", channel}, {"provider", m.provider}, {"message_id", r.message_id}, {"case_id", r.case_id},
                 {"inbox", r.inbox}, {"trace_id", m.traceparent.value_or("")}});
    }
    if (!ec && r.created && new_case_) new_case_(r.case_id, r.inbox);
    --in_flight_;
    j->handler(ec, submit_result{r.duplicate ? submit_status::duplicate : submit_status::stored, r.message_id, r.case_id, r.reference,
                                 r.inbox, r.seq, r.joined, r.linked_case, r.answer_by, j->promise && j->promise->outside_hours,
                                 r.created});
  }, j->options.conversation, lookup_for(j->options.thread), promise, j->index);
}

} // namespace balie::gateway
