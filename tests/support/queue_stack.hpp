#pragma once
// The queue library in-process against a private redis-server: an
// io_context on its own thread, a redis_connection, the events it reported,
// and a case_store. For tests of queue/ without balied.

#include "channels/ids.hpp"
#include "queue/case_store.hpp"
#include "tests/support/redis_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <future>
#include <thread>

namespace balie::test {

struct harness {
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread runner;
  std::shared_ptr<queue::redis_connection> redis;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> events;

  explicit harness(queue::redis_options);
  ~harness();
  /// Waits until `event` has been reported `n` times.
  bool wait_event(std::string const& event, std::size_t n = 1, std::chrono::seconds timeout = std::chrono::seconds(20));
};

queue::redis_options options_for(redis_server const&);

/// A private Redis and a connected case_store.
struct queue_stack {
  temp_dir dir;
  redis_server server;
  std::unique_ptr<harness> h;
  std::unique_ptr<queue::case_store> store;
  explicit queue_stack(std::function<void(queue::redis_options&)> adjust = {}, bool durable = true);
};

/// A phone message for a new case in inbox `telefoon`, from +31600000001.
case_message phone_message(id_source&, std::string call_id);

std::pair<boost::system::error_code, queue::enqueue_result> enqueue(queue::case_store&, case_message const&, std::string const& key,
                                                                    bool new_case = true);

/// Runs an asynchronous call and waits for its one result.
template <class Result, class Start>
Result await(Start start) {
  std::promise<Result> p;
  start([&p](auto&&... r) { p.set_value(Result{std::forward<decltype(r)>(r)...}); });
  return p.get_future().get();
}

} // namespace balie::test
