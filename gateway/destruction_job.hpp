#pragma once
// The destruction job: one instance at a time (a Redis lock that expires), every
// `check_every`, and on demand in tests with an injected clock. A run
//  1. destroys each closed case past its term and not under legal hold, one
//     atomic script per case (queue/case_retention.hpp), so staff see a case
//     whole or not at all;
//  2. removes from disk each file no message refers to any more: renamed
//     aside first (after which a new message with the same file writes it
//     again), left alone if it was touched within `file_grace` (a message about
//     to refer to it), and then deleted only if Redis still counts no message
//     for it — else put back;
//  3. applies the operational terms: the events, audit and destruction-list
//     streams are trimmed, and the phone spool's done/ and failed/ files removed.
// Step 1 waits until the one-time pass over cases stored before retention has
// finished (gateway/privacy_backfill.hpp). A crash anywhere leaves the rest to the next run: destroyed cases are gone
// for good, and orphaned files stay listed in Redis until removed.

#include "channels/time_format.hpp"
#include "gateway/retention_config.hpp"
#include "queue/case_retention.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <memory>

namespace balie::gateway {

struct destruction_settings {
  retention_config terms;
  std::vector<std::filesystem::path> file_dirs;  ///< where attachments and original mails are stored
  std::filesystem::path spool_dir;               ///< the phone spool (done/, failed/); empty: none
  std::chrono::minutes file_grace{60};
};

struct destruction_report {
  bool ran = false;  ///< false: another instance holds the lock
  bool waiting_for_upgrade = false;  ///< no case destroyed: the one-time pass over older cases has not finished
  std::size_t destroyed = 0;
  std::size_t files_removed = 0;
  std::size_t files_kept = 0;  ///< referred to again, or touched too recently: kept
  long long events_trimmed = 0;
  long long audit_trimmed = 0;
  long long list_trimmed = 0;
  std::size_t spool_removed = 0;
  std::string error;  ///< empty: the run finished
};

class destruction_job : public std::enable_shared_from_this<destruction_job> {
public:
  destruction_job(boost::asio::any_io_executor, std::shared_ptr<queue::case_retention>, boost::asio::thread_pool& files, clock_fn);

  /// One run with these settings; `done` runs on the job's executor.
  void run_once(destruction_settings, std::function<void(destruction_report)> done);

private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<queue::case_retention> retention_;
  boost::asio::thread_pool& files_;
  clock_fn clock_;
};

} // namespace balie::gateway
