#pragma once
// The durable side of a case: the atomic enqueue of an inbound message and
// the reads staff need. Enqueue is one Lua script, so a message is either
// fully stored (dedup mark, case stream, inbox stream, case hash, inbox
// index) or not at all; its reply under `appendfsync always` means the AOF
// was fsynced, which is what lets a channel acknowledge its sender.

#include "channels/case_message.hpp"
#include "queue/redis_connection.hpp"

#include <map>

namespace balie::queue {

struct enqueue_result {
  bool duplicate = false;
  std::string message_id;  ///< for a duplicate: the message stored first
  std::string case_id;
  std::string reference;
  std::string inbox;
};

struct case_summary {
  std::string case_id;
  std::map<std::string, std::string> fields;  ///< the case hash: state, inbox, reference, channel, ...
};

struct stored_message {
  std::string stream_id;
  std::string json;
};

class case_store {
public:
  case_store(std::shared_ptr<redis_connection>, std::chrono::seconds dedup_ttl);

  /// `m.routing` must be set. Fails with `errc::reference_taken` when the new
  /// case's reference collides; the caller mints another and retries.
  void enqueue(case_message const& m, std::string const& dedup_key,
               std::function<void(boost::system::error_code, enqueue_result)>);

  /// Number of cases per inbox, in the order asked.
  void count_cases(std::vector<std::string> inboxes, std::function<void(boost::system::error_code, std::vector<long long>)>);

  /// Cases of an inbox, most recent activity first; `before_ms` is the paging cursor (0: from the newest).
  void list_cases(std::string const& inbox, std::size_t limit, long long before_ms,
                  std::function<void(boost::system::error_code, std::vector<case_summary>, long long next_cursor)>);

  /// The case hash and its messages in order; an empty hash means "no such case".
  void read_case(std::string const& case_id, std::size_t max_messages,
                 std::function<void(boost::system::error_code, case_summary, std::vector<stored_message>)>);

  /// Appends a line to the audit stream (who read or did what; never contents).
  void audit(std::vector<std::pair<std::string, std::string>> fields, std::function<void(boost::system::error_code)>);

  redis_connection& connection() { return *redis_; }

private:
  void run_enqueue(std::vector<std::string> args, std::function<void(boost::system::error_code, redis_reply)>);

  std::shared_ptr<redis_connection> redis_;
  std::chrono::seconds dedup_ttl_;
  std::string script_sha_;
};

} // namespace balie::queue
