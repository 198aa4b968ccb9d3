#include "tests/support/queue_stack.hpp"

#include "channels/time_format.hpp"

#include <doctest/doctest.h>

#include <csignal>

namespace balie::test {
using namespace std::chrono_literals;

harness::harness(queue::redis_options opts) {
  std::signal(SIGPIPE, SIG_IGN);  // as balied does: a dead Redis is an error, not a signal
  redis = queue::redis_connection::create(ioc.get_executor(), opts, [this](std::string_view e, std::string_view) {
    std::lock_guard lock(mutex);
    events.emplace_back(e);
    cv.notify_all();
  });
  redis->start();
  runner = std::thread([this] { ioc.run(); });
}

harness::~harness() {
  redis->stop();
  work.reset();
  runner.join();
}

bool harness::wait_event(std::string const& event, std::size_t n, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, timeout, [&] { return std::count(events.begin(), events.end(), event) >= static_cast<long>(n); });
}

queue::redis_options options_for(redis_server const& server) {
  queue::redis_options o;
  o.unix_socket = server.socket();
  o.reconnect_min = 10ms;
  o.reconnect_max = 100ms;
  o.command_timeout = 1000ms;
  return o;
}

queue_stack::queue_stack(std::function<void(queue::redis_options&)> adjust, bool durable) : server(dir.path, durable) {
  server.start();
  auto opts = options_for(server);
  if (adjust) adjust(opts);
  h = std::make_unique<harness>(opts);
  store = std::make_unique<queue::case_store>(h->redis, 3600s);
  if (durable) REQUIRE(h->wait_event("redis.ready"));
}

case_message phone_message(id_source& ids, std::string call_id) {
  case_message m;
  auto const now = system_now();
  m.id = ids.ulid(now);
  m.case_id = ids.ulid(now);
  m.reference = ids.case_reference();
  m.channel = channel::phone;
  m.provider = "transcript-api";
  m.provider_message_id = std::move(call_id);
  m.occurred_at = m.received_at = now;
  m.resident.addresses = {{"phone", "+31600000001"}};
  m.subject = "Telefoongesprek";
  m.text = "Hallo";
  m.routing = routing_info{"telefoon", priority::normal, std::nullopt, "channel:phone"};
  return m;
}

std::pair<boost::system::error_code, queue::enqueue_result> enqueue(queue::case_store& store, case_message const& m,
                                                                    std::string const& key, bool new_case) {
  std::promise<std::pair<boost::system::error_code, queue::enqueue_result>> p;
  store.enqueue(m, key, new_case, [&](boost::system::error_code ec, queue::enqueue_result r) { p.set_value({ec, r}); });
  return p.get_future().get();
}

} // namespace balie::test
