#pragma once
// Retention and destruction in Redis. A closed case waits in `balie:retention`
// until its term ends (the close script starts the term from a plan the
// gateway computes from configuration); records staff may choose another
// class or put the case under legal hold, which takes it out of the wait.
//
// `destroy` is one Lua script, so from the staff's point of view a case is
// either whole or gone: it checks that the case is still closed, past its
// term and not held, then removes the case's keys, its entries in the inbox,
// outbound and dead-letter streams (recorded on the case as they were
// written), its index entries, threading keys and chat conversation, keeps
// the reference as a tombstone, adds a line to the destruction list
// (`balie:destroyed`) and lowers the count of every file its residents' messages
// refer to (listed on the case as they were counted, so no message is read). A file no message refers to any more joins `balie:files:orphaned`;
// the job removes it from disk afterwards, so a crash between the two only
// delays that (gateway/destruction_job.hpp).
//
// Cases stored before this existed lack those records; `backfill_case` adds
// them once per case (its entries, its files' counts, the confidential flag and
// the topic from its messages), idempotently.

#include "queue/case_store.hpp"
#include "queue/case_workflow.hpp"
#include "queue/retention_plan.hpp"

#include <map>

namespace balie::queue {

enum class destroy_status { destroyed, gone, kept };

struct destroy_result {
  destroy_status status = destroy_status::kept;
  std::vector<std::string> orphaned;  ///< sha256 of files no message refers to any more
};

struct destroyed_entry {
  std::string id;  ///< the list's own stream id
  std::map<std::string, std::string> fields;  ///< reference, inbox, class, closed_at, destroyed_at (ms), approved_by, reason
};

class case_retention {
public:
  explicit case_retention(std::shared_ptr<redis_connection>);

  /// Records staff choose the case's class. For a closed case, `destroy_at_ms` is its new end and
  /// `closed_at` the close it was computed from: a case closed or reopened since is `stale`.
  void choose_class(std::string const& case_id, std::string const& cls, std::string const& reason, std::string const& by,
                    std::optional<long long> destroy_at_ms, std::string const& closed_at, long long now_ms, case_workflow::handler);
  /// Legal hold on or off: a held case is never destroyed; lifted, a closed case waits for its term again.
  void hold(std::string const& case_id, bool on, std::string const& reason, std::string const& by, long long now_ms,
            case_workflow::handler);

  /// Cases whose term has ended by `now_ms`, earliest first.
  void due(long long now_ms, std::size_t limit, std::function<void(boost::system::error_code, std::vector<std::string>)>);
  /// Destroys the case if it is still closed, past its term and not held. `approved_by` names who let it go
  /// (the erasure request's officer, or empty: the class's term).
  void destroy(std::string const& case_id, long long now_ms, std::string const& approved_by,
               std::function<void(boost::system::error_code, destroy_result)>);

  /// Files no message refers to, oldest first.
  void orphans(std::size_t limit, std::function<void(boost::system::error_code, std::vector<std::string>)>);
  /// Ends a file's orphan mark; true when no message refers to it (its file may go), false when one does again.
  void settle_orphan(std::string const& sha256, std::function<void(boost::system::error_code, bool unreferenced)>);

  /// The destruction list after stream id `after` ("-": from the start).
  void destroyed_list(std::string const& after, std::size_t limit,
                      std::function<void(boost::system::error_code, std::vector<destroyed_entry>)>);
  /// Removes a stream's entries older than `before_ms` (the operational terms).
  void trim(std::string const& stream, long long before_ms, std::function<void(boost::system::error_code, long long removed)>);

  /// The one-time pass for a case stored before retention existed: the files its residents' messages refer
  /// to counted, the confidential flag and topic taken from its messages, the term started if it is closed
  /// (`plan_json` computed for its close). Idempotent.
  void backfill_case(std::string const& case_id, std::string const& plan_json, bool confidential, std::string const& topic,
                     std::function<void(boost::system::error_code)>);
  /// The one-time pass's scan of a shared stream: each (case id, "<stream> <entry id>") recorded on its case, if it exists.
  void track_entries(std::vector<std::pair<std::string, std::string>> const& entries, std::function<void(boost::system::error_code)>);

  /// Whether the one-time pass for cases stored before retention has finished (gateway/privacy_backfill.hpp).
  void upgraded(std::function<void(boost::system::error_code, bool)>);

  /// A lock with expiry that one instance holds at a time; `owner` proves whose it is on release.
  void lock(std::string const& key, std::string const& owner, std::chrono::seconds ttl, std::function<void(boost::system::error_code, bool)>);
  void unlock(std::string const& key, std::string const& owner, std::function<void(boost::system::error_code)> done = {});
  /// Extends the lock's expiry while `owner` still holds it.
  void renew(std::string const& key, std::string const& owner, std::chrono::seconds ttl);

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
