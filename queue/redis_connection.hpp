#pragma once
// One asynchronous Redis connection: hiredis 0.14's async API driven by Asio.
// All hiredis calls run on one strand (hiredis is not thread-safe); replies
// are copied out and handed to the caller on that strand. The connection
// reconnects with exponential backoff, fails every command that Redis does
// not answer within the command timeout, and after each (re)connect checks
// that Redis is configured for durability before it reports itself ready.
// hiredis writes with write(2): the process must ignore SIGPIPE (balied does).

#include "queue/errc.hpp"
#include "queue/redis_options.hpp"
#include "queue/redis_reply.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace balie::queue {

class redis_connection : public std::enable_shared_from_this<redis_connection> {
public:
  using reply_handler = std::function<void(boost::system::error_code, redis_reply)>;
  using event_fn = std::function<void(std::string_view event, std::string_view detail)>;

  static std::shared_ptr<redis_connection> create(boost::asio::any_io_executor, redis_options, event_fn);
  ~redis_connection();

  void start();
  /// Fails pending commands with `shutting_down` and stops reconnecting.
  void stop();

  /// Sends one command. The handler runs on the connection's strand, exactly once.
  /// `timeout` overrides the command timeout (for blocking reads such as XREADGROUP BLOCK).
  void execute(std::vector<std::string> args, reply_handler, std::optional<std::chrono::milliseconds> timeout = {});

  bool ready() const { return ready_.load(std::memory_order_acquire); }
  std::uint64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }
  std::string last_error() const;
  boost::asio::strand<boost::asio::any_io_executor> const& strand() const { return strand_; }

  struct link;  // one hiredis context and its descriptor (defined in the .cpp)

private:
  redis_connection(boost::asio::any_io_executor, redis_options, event_fn);

  void connect();
  void on_connected(std::shared_ptr<link> const&);
  void handshake(std::shared_ptr<link> const&);
  void on_lost(std::shared_ptr<link> const&, std::string const& reason);
  void schedule_reconnect();
  void send(std::shared_ptr<link> const&, std::vector<std::string> const& args, reply_handler,
            std::optional<std::chrono::milliseconds> timeout = {});
  void arm(std::shared_ptr<link> const&);
  void arm_watchdog(std::shared_ptr<link> const&);
  void abort_link(std::shared_ptr<link>, errc why, std::string const& reason);  // by value: freeing resets link_
  void set_error(std::string);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point watchdog_at_ = std::chrono::steady_clock::time_point::max();
  redis_options options_;
  event_fn on_event_;
  std::shared_ptr<link> link_;
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> reconnects_{0};
  bool stopping_ = false;
  bool ever_ready_ = false;
  int attempt_ = 0;
  std::minstd_rand jitter_{std::random_device{}()};
  mutable std::mutex error_mutex_;
  std::string last_error_;
  friend struct hooks;
};

} // namespace balie::queue
