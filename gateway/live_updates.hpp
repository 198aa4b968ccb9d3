#pragma once
// Server-sent events for the staff inbox: each open stream is filtered to
// what its holder may see (events of their inboxes, optionally one inbox or
// one case). Events carry ids and kinds, never contents: the page fetches
// what changed, and that read is audited like any other. A reconnecting
// client sends Last-Event-ID and gets what it missed from Redis first; if
// it missed too much it is told to reload. A new client starts from the
// newest event at the time it connects; events that arrive meanwhile are
// held and sent in order, and when the feed's read loop (re)starts every
// client catches up from the last event it got, so none falls in a gap.

#include "server/event_stream.hpp"
#include "server/http_server.hpp"
#include "gateway/tokens.hpp"
#include "queue/event_feed.hpp"

#include <boost/asio/steady_timer.hpp>

namespace balie::gateway {
using namespace server;

struct live_filter {
  principal who;
  std::optional<std::string> inbox;
  std::optional<std::string> case_id;
  std::optional<std::string> last_event_id;
};

class live_updates : public std::enable_shared_from_this<live_updates> {
public:
  live_updates(boost::asio::any_io_executor, std::shared_ptr<queue::event_feed>);

  void start();
  /// Ends every open stream (shutdown).
  void stop();
  http_response open(live_filter);
  /// Ends the streams of holders `grants` no longer covers (a token reload);
  /// returns how many.
  std::size_t close_unless(std::function<bool(principal const&)> const& grants);
  std::size_t clients() const;

private:
  struct client;
  void attach(std::shared_ptr<client>);
  void catch_up(std::shared_ptr<client>);
  void catch_up_all();
  void deliver(queue::live_event const&);
  void ping();

  boost::asio::steady_timer ping_timer_;
  std::shared_ptr<queue::event_feed> feed_;
  std::uint64_t subscription_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<client>> clients_;
  bool stopped_ = false;
};

/// An event's fields as the JSON of its `data:` line (ids and kinds, never contents).
std::string event_data(queue::live_event const&);

/// A stream id as Redis writes it (`<ms>-<seq>`), the only Last-Event-ID accepted.
/// A Redis stream id `<ms>-<seq>` (queue/stream_id.hpp); never throws.
bool is_stream_id(std::string_view);

} // namespace balie::gateway
