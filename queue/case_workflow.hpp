#pragma once
// What staff do with a case, each one atomic Lua script: claim and release
// (the case's unanswered messages move between consumers of the inbox's
// `staff` group), claims that expire back to the inbox, transfer, notes,
// close and reopen, a reply queued on `balie:out:{channel}` (group
// `senders`), and the delivery status a channel sender reports back. Each
// action writes a live-update event in the same script.

#include "queue/case_store.hpp"

namespace balie::queue {

/// Why an action did not happen; `done` when it did.
enum class action_status { done, not_found, closed, claimed_by_other, not_claimed, same_inbox, not_closed, stale, limited, moved };

/// Who acts, and the inbox their access was checked against: if the case is
/// no longer in that inbox when the script runs, the action is refused
/// (`moved`). An empty inbox skips the check (Balie's own actions, tests).
struct staff_actor {
  std::string name;
  std::string checked_inbox;
  staff_actor(std::string n, std::string inbox = {}) : name(std::move(n)), checked_inbox(std::move(inbox)) {}  // NOLINT: a name is an actor
  staff_actor(char const* n) : name(n) {}                                                                       // NOLINT
};

struct action_result {
  action_status status = action_status::done;
  std::string detail;  ///< claimed_by_other: who holds it; note/reply: the new id; stale: the current status
};

struct reply_request {
  std::string case_id;
  std::string actor;
  long long now_ms = 0;
  std::chrono::milliseconds claim_ttl{};
  std::string message_id;
  std::string channel;
  std::string message_json;   ///< the outbound case-message
  std::string delivery_json;  ///< its first delivery state (queued)
  std::string checked_inbox;  ///< see staff_actor
};

/// A mail Balie sends by itself (an acknowledgement); at most `limit` per
/// `rate_key` (one per address) within `period`.
struct automatic_request {
  std::string case_id;
  std::string message_id;
  std::string channel;
  std::string message_json;
  std::string delivery_json;
  std::string rate_key;
  int limit = 10;
  std::chrono::seconds period{3 * 3600};
};

/// For delivery_update::attempts: a provider's report leaves the count as the sender left it.
inline constexpr int attempts_unchanged = -1;

struct delivery_update {
  std::string case_id;
  std::string message_id;
  std::string status;  ///< queued (a retry), held (the channel is off), sent, delivered, read, failed, expired
  int attempts = 0;
  std::string error;
  std::string updated_at;  ///< RFC 3339
};

class case_workflow {
public:
  using handler = std::function<void(boost::system::error_code, action_result)>;

  explicit case_workflow(std::shared_ptr<redis_connection>);

  void claim(std::string const& case_id, staff_actor const&, long long now_ms, std::chrono::milliseconds ttl, handler);
  void release(std::string const& case_id, staff_actor const&, long long now_ms, handler);
  /// Returns every case whose claim ended before `now_ms` to its inbox (at most `limit`); detail: how many.
  void expire_claims(long long now_ms, std::size_t limit, handler);
  void transfer(std::string const& case_id, staff_actor const&, std::string const& target, long long now_ms, handler);
  /// A web-chat case's conversation (the resident's view of it) expires
  /// `keep_conversation` after; the case keeps every message. With a `retention_plan`
  /// (queue/case_retention.hpp) its retention term starts. With `hand_over` its messages
  /// go to Open Klant (openklant/exporter.hpp).
  void close(std::string const& case_id, staff_actor const&, long long now_ms, std::chrono::seconds keep_conversation, handler,
             std::string const& retention_plan = {}, bool hand_over = false);
  void reopen(std::string const& case_id, staff_actor const&, long long now_ms, handler);
  void add_note(std::string const& case_id, staff_actor const&, std::string const& text, long long now_ms, handler);
  void reply(reply_request const&, handler);
  /// Queues an automatic message; `limited` when the address had its share.
  void queue_automatic(automatic_request const&, handler);
  /// A sender's report; a report older than what is known (sent after delivered) is `stale`.
  void report_delivery(delivery_update const&, handler);

private:
  void run(lua_script const&, std::vector<std::string> args, handler);
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
