#pragma once
// The outbox port: a channel's reply sender delivers one queued reply and
// says how that went. Everything around it — sharing the outbox with other
// instances, taking over a dead instance's entries, backoff, dead letters,
// the `queued` and `failed` delivery reports, acknowledging — is the outbox
// worker's (queue/outbox_worker.hpp), the same for every channel.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace balie {

/// How every channel's reply sender shares its outbox with other instances.
struct outbox_config {
  /// An entry another consumer has held this long without acknowledging is taken over:
  /// its instance is presumed dead. Longer than any single delivery attempt.
  std::chrono::milliseconds takeover_after{180'000};
  std::chrono::milliseconds block{5'000};  ///< one blocking read's wait for new replies
  bool operator==(outbox_config const&) const = default;
};

/// One reply waiting in a channel's outbox (`balie:out:{channel}`).
struct outbox_entry {
  std::string id;  ///< the stream entry
  std::string case_id;
  std::string message_id;
  std::string msg;   ///< the reply as case-message JSON
  int attempts = 0;  ///< attempts this instance made before this one
};

struct delivery_outcome {
  enum class kind {
    done,               ///< delivered, and recorded by the channel (its `sent` report): acknowledge
    retry,              ///< the far side failed for now: try again after a backoff; counts as an attempt
    failed,             ///< will never work: dead letter, and `failed` with the reason
    store_unavailable,  ///< Redis failed, not the far side: try again after a short pause, no attempt used
  };
  kind outcome = kind::done;
  std::string detail;  ///< why, for staff and the log; never message text
  /// retry: the far side said when to come back (429 with Retry-After); the worker waits at least this long.
  std::chrono::milliseconds retry_after{0};
};

using delivery_done = std::function<void(delivery_outcome)>;
/// Delivers one entry and calls `done` exactly once, from any thread.
using deliver_fn = std::function<void(outbox_entry const&, delivery_done)>;
/// What the worker tells the log: `what` is "sent", "send_deferred" or "dead_letter".
using outbox_log_fn = std::function<void(std::string_view what, outbox_entry const&, int attempt, std::string_view detail)>;

} // namespace balie
