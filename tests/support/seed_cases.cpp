// balie_seed: puts test data into a Balie Redis through Balie's own code,
// for tests that drive balied from outside (the browser tests). Reads JSON
// lines on stdin:
//   a case-message (with routing.inbox)  → enqueued as a new case, prints
//                                          {"case_id","message_id","reference"}
//   {"message": case-message, "promise": {"answer_by", "report_at"}}
//                                        → the same, with the promise balied's intake
//                                          would have made (RFC 3339 times)
//   {"delivery": {case_id, message_id, status, attempts?, error?}}
//                                        → recorded as a channel sender
//                                          reports it, prints {"ok": true}
// Any failure prints {"error": "..."} and exits 1.
#include "channels/time_format.hpp"
#include "queue/case_store.hpp"
#include "queue/case_workflow.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <csignal>
#include <future>
#include <iostream>
#include <thread>

using namespace balie;
using namespace balie::queue;

namespace {

int fail(std::string const& why) {
  std::cout << nlohmann::json({{"error", why}}).dump() << std::endl;
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  redis_options opts;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--redis-socket") opts.unix_socket = argv[i + 1];
  if (opts.unix_socket.empty()) return fail("usage: balie_seed --redis-socket PATH < lines.jsonl");
  opts.require_durability = false;

  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::promise<void> ready;
  bool told = false;
  auto redis = redis_connection::create(ioc.get_executor(), opts, [&](std::string_view e, std::string_view) {
    if (e == "redis.ready" && !told) told = true, ready.set_value();
  });
  redis->start();
  std::thread runner([&] { ioc.run(); });
  ready.get_future().wait();
  case_store store(redis, std::chrono::hours(1));
  case_workflow workflow(redis);

  int rc = 0;
  std::string line;
  while (rc == 0 && std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto const j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) { rc = fail("not JSON"); break; }
    std::promise<std::string> out;
    if (j.contains("delivery")) {
      auto const& d = j["delivery"];
      delivery_update u{d.value("case_id", ""), d.value("message_id", ""), d.value("status", ""), d.value("attempts", 1),
                        d.value("error", ""), format_rfc3339(system_now())};
      workflow.report_delivery(u, [&](boost::system::error_code ec, action_result r) {
        if (ec) return out.set_value("!" + ec.message());
        out.set_value(r.status == action_status::done ? nlohmann::json({{"ok", true}}).dump() : "!delivery not recorded");
      });
    } else {
      bool const wrapped = j.contains("message") && j.contains("promise");
      auto m = case_message_from_json(wrapped ? j["message"] : j);
      if (!m) { rc = fail("not a case-message: " + m.error().detail); break; }
      std::optional<case_promise> promise;
      if (wrapped) {
        auto const time_of = [&](char const* key) -> std::optional<timestamp> {
          auto const& p = j["promise"];
          if (!p.is_object() || !p.contains(key) || !p[key].is_string()) return std::nullopt;
          return parse_rfc3339(p[key].get<std::string>());
        };
        auto const by = time_of("answer_by"), report = time_of("report_at");
        if (!by || !report) { rc = fail("a promise has answer_by and report_at as RFC 3339 times"); break; }
        promise = case_promise{*by, *report};
      }
      store.enqueue(*m, "seed:" + m->id, true, [&](boost::system::error_code ec, enqueue_result r) {
        if (ec) return out.set_value("!" + ec.message());
        out.set_value(nlohmann::json({{"case_id", r.case_id}, {"message_id", r.message_id}, {"reference", r.reference}}).dump());
      }, {}, {}, promise);
    }
    auto const result = out.get_future().get();
    if (result.front() == '!') rc = fail(result.substr(1));
    else std::cout << result << std::endl;
  }
  redis->stop();
  work.reset();
  runner.join();
  return rc;
}
