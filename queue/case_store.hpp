#pragma once
// The durable side of a case: the atomic enqueue of an inbound message and
// the reads staff need. Enqueue is one Lua script, so a message is either
// fully stored (dedup mark, case stream, inbox stream, case hash, indexes,
// live-update event) or not at all; its reply under `appendfsync always`
// means the AOF was fsynced, which is what lets a channel acknowledge its
// sender.
//
// Per inbox: the stream with consumer group `staff`, where every message is
// delivered at once to the consumer `unassigned` or to the staff member who
// holds the case's claim, and stays pending until it is answered; and three
// sorted sets: all cases, open cases (by last activity) and unanswered
// cases (by the arrival of their oldest unanswered message).

#include "channels/case_message.hpp"
#include "queue/lua_script.hpp"

#include <map>

namespace balie::queue {

struct enqueue_result {
  bool duplicate = false;
  std::string message_id;  ///< for a duplicate: the message stored first
  std::string case_id;
  std::string reference;
  std::string inbox;
  std::int64_t seq = 0;  ///< its number in the web-chat conversation (0: none)
  bool joined = false;       ///< a thread lookup put it in an existing case
  std::string linked_case;   ///< a looked-up case of someone else
  std::optional<timestamp> answer_by;  ///< the promise that stands for the case (an earlier one while still unanswered)
  bool created = false;                ///< the message opened a new case
};

/// What Balie promises the resident for a message no person has answered yet: an answer by
/// `answer_by`; the watchdog marks the case overdue then, and reports it at `report_at`.
struct case_promise {
  timestamp answer_by{};
  timestamp report_at{};
};

/// Threading for enqueue: keys holding candidate case ids, tried in order;
/// the first case whose participants include `participant` is joined.
/// Afterwards `participant` becomes a participant of the message's case and
/// every `index_keys` entry points at it for `index_ttl`.
struct thread_lookup {
  std::vector<std::string> keys;
  std::string participant;
  std::vector<std::string> index_keys;
  std::chrono::seconds index_ttl{0};
};

/// What a message adds to what staff find and see at a glance: its search tokens
/// (search/index_terms.hpp) and its first line, the case list's preview.
struct case_index {
  std::vector<std::string> tokens;
  std::string preview;
};

struct case_summary {
  std::string case_id;
  std::map<std::string, std::string> fields;  ///< the case hash: state, inbox, reference, channel, ...
};

struct stored_message {
  std::string stream_id;
  std::string json;
};

struct stored_note {
  std::string id;
  std::string author;
  std::string text;
  long long created_ms = 0;
};

struct case_record {
  case_summary summary;                         ///< empty fields: no such case
  std::vector<stored_message> messages;
  std::vector<stored_note> notes;
  std::map<std::string, std::string> delivery;  ///< outbound message id → delivery JSON
};

struct inbox_stats {
  long long open_cases = 0;
  long long unanswered_cases = 0;
  std::optional<long long> oldest_unanswered_ms;
};

struct case_filter {
  std::optional<std::string> state;  ///< open, claimed, closed; none: open and claimed
  std::optional<std::string> channel;
  std::optional<std::string> priority;
};

class case_store {
public:
  case_store(std::shared_ptr<redis_connection>, std::chrono::seconds dedup_ttl);

  /// `m.routing` must be set. A message whose case already exists joins that
  /// case in the case's current inbox (and reopens it when closed); otherwise
  /// the case is created if `may_create`. Fails with `errc::reference_taken`
  /// when a new case's reference collides (the caller mints another and
  /// retries), `errc::no_such_case` for an unknown case it may not create.
  /// With a web-chat `conversation`, the message is also appended to that
  /// conversation's numbered log in the same step. With a `thread` lookup the
  /// message may join another case; its stored JSON then names that case.
  /// A `promise` is kept on a case that has none outstanding (a new case, or one a person has acted
  /// on since); while one is outstanding a further message raises the case's priority instead.
  /// An automatic message (`auto_generated`) waits for nobody and makes no promise.
  /// The `index` entries are written in the same step, in the case's inbox (they move with it).
  void enqueue(case_message const& m, std::string const& dedup_key, bool may_create,
               std::function<void(boost::system::error_code, enqueue_result)>, std::string const& conversation = {},
               thread_lookup const& thread = {}, std::optional<case_promise> const& promise = std::nullopt,
               case_index const& index = {});

  void stats(std::vector<std::string> inboxes, std::function<void(boost::system::error_code, std::vector<inbox_stats>)>);

  /// Cases of an inbox, most recent activity first, filtered; `cursor` is
  /// empty or a `next_cursor` from an earlier page (empty next: no more).
  /// A cursor is "<activity ms>-<case id>" of the last case looked at.
  void list_cases(std::string const& inbox, case_filter const&, std::size_t limit, std::string const& cursor,
                  std::function<void(boost::system::error_code, std::vector<case_summary>, std::string next_cursor)>);

  /// The case hash alone; empty fields: no such case.
  void read_summary(std::string const& case_id, std::function<void(boost::system::error_code, case_summary)>);

  void read_case(std::string const& case_id, std::size_t max_messages,
                 std::function<void(boost::system::error_code, case_record)>);

  /// Appends a line to the audit stream (who read or did what; never contents).
  void audit(std::vector<std::pair<std::string, std::string>> fields, std::function<void(boost::system::error_code)>);

  /// Whether the store's connection is up (readiness).
  bool ready() const;

private:
  std::shared_ptr<redis_connection> redis_;
  std::chrono::seconds dedup_ttl_;
};

/// Runs commands back to back on one connection (hiredis pipelines them) and
/// collects the replies in order; the first error wins.
void run_all(redis_connection&, std::vector<std::vector<std::string>> commands,
             std::function<void(boost::system::error_code, std::vector<redis_reply>)>);

/// A flat field/value array (HGETALL, a stream entry) as a map.
std::map<std::string, std::string> pairs(redis_reply const&);

} // namespace balie::queue
