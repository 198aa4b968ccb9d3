#pragma once
// Live updates from `balie:events`, the stream every case action writes in
// the same script as the action. One blocking XREAD loop per process, on a
// connection of its own, hands each event to the subscribers; since the
// events travel through Redis, a staff member connected to any instance
// sees what happened on every instance. `replay` serves a reconnecting
// client what it missed (SSE `Last-Event-ID`).

#include "queue/redis_connection.hpp"

#include <map>

namespace balie::queue {

struct live_event {
  std::string id;  ///< the stream id: the SSE event id
  std::map<std::string, std::string> fields;  ///< type, case_id, inbox, and per type message_id, status, ...
  std::string field(std::string const& name) const;
};

class event_feed : public std::enable_shared_from_this<event_feed> {
public:
  using subscriber = std::function<void(live_event const&)>;

  /// `blocking` is used for the read loop only; `commands` for replays.
  event_feed(std::shared_ptr<redis_connection> blocking, std::shared_ptr<redis_connection> commands);

  /// `on_started` runs each time the read loop (re)starts from a fresh
  /// position: subscribers may have missed events before it and should
  /// catch up from what they last saw. Register before start().
  void on_started(std::function<void()>);
  void start();
  void stop();
  std::uint64_t subscribe(subscriber);
  void unsubscribe(std::uint64_t);

  /// The id of the newest event now ("0-0" when there is none).
  void newest(std::function<void(boost::system::error_code, std::string)>);

  /// Events after `after_id`, oldest first, at most `limit`; `complete` is
  /// false when more were missed than that (the client should reload).
  void replay(std::string const& after_id, std::size_t limit,
              std::function<void(boost::system::error_code, std::vector<live_event>, bool complete)>);

private:
  void find_start();
  void read_next();
  void retry_later(void (event_feed::*step)());
  void publish(std::vector<live_event> const&);

  std::shared_ptr<redis_connection> blocking_, commands_;
  std::string last_id_;
  std::vector<std::function<void()>> on_started_;
  bool stopped_ = false;
  std::mutex mutex_;
  std::uint64_t next_token_ = 1;
  std::map<std::uint64_t, subscriber> subscribers_;
};

/// Stream entries (XRANGE / XREAD) as events.
std::vector<live_event> events_from(redis_reply const& entries);

} // namespace balie::queue
