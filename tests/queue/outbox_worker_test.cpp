// The outbox worker against a real Redis, with the channel's delivery
// scripted by the test: a retry counts as an attempt and waits a backoff;
// after the last attempt the entry is a dead letter, reported `failed` and
// acknowledged; Redis failing uses no attempt; an entry another consumer has
// held past the takeover delay is taken over; `done` is acknowledged; while
// switched off only automatic messages leave.
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "queue/outbox_worker.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <deque>

namespace balie::test {
namespace {

using json = nlohmann::json;
using kind = delivery_outcome::kind;

struct worker_stack {
  queue_stack st;
  id_source ids;
  queue::case_workflow flow{st.h->redis};
  std::string case_id;

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<delivery_outcome> script;  ///< answers in order; then `done`
  std::vector<outbox_entry> calls;
  std::vector<std::string> logged;  ///< "what:attempt"
  std::shared_ptr<queue::outbox_worker> worker;

  worker_stack() {
    auto const m = phone_message(ids, "kcc-outbox");
    REQUIRE(!enqueue(*st.store, m, "phone:kcc-outbox").first);
    case_id = m.case_id;
  }
  ~worker_stack() {
    if (worker) worker->stop();
  }

  void start(queue::outbox_settings settings, bool held = false) {
    auto own = queue::redis_connection::create(st.h->ioc.get_executor(), options_for(st.server), [](std::string_view, std::string_view) {});
    worker = std::make_shared<queue::outbox_worker>(
        own, flow, std::move(settings), system_now,
        [this](outbox_entry const& e, delivery_done done) {
          delivery_outcome answer;
          {
            std::lock_guard lock(mutex);
            calls.push_back(e);
            if (!script.empty()) answer = script.front(), script.pop_front();
            cv.notify_all();
          }
          done(answer);
        },
        [this](std::string_view what, outbox_entry const&, int attempt, std::string_view) {
          std::lock_guard lock(mutex);
          logged.push_back(std::string(what) + ":" + std::to_string(attempt));
        });
    worker->set_held(held);
    worker->start();
  }

  /// An outbound reply on the case, queued in balie:out:{sms}; returns its message id.
  std::string queue_reply() {
    auto const id = ids.ulid(system_now());
    json const msg = {{"id", id}, {"case_id", case_id}, {"text", "Uw afspraak staat."}};
    json const delivery = {{"status", "queued"}, {"attempts", 0}, {"updated_at", "2026-12-03T10:00:00Z"}};
    queue::automatic_request r{case_id, id, "sms", msg.dump(), delivery.dump(), "test:" + id, 10, std::chrono::seconds(60)};
    auto const done = await<std::pair<boost::system::error_code, queue::action_result>>([&](auto d) { flow.queue_automatic(r, d); });
    REQUIRE(!done.first);
    REQUIRE(done.second.status == queue::action_status::done);
    return id;
  }

  /// A staff member's reply on the case (not automatic); returns its message id.
  std::string queue_staff_reply() {
    auto const id = ids.ulid(system_now());
    json const msg = {{"id", id}, {"case_id", case_id}, {"text", "Wij bellen u morgen."}};
    json const delivery = {{"status", "queued"}, {"attempts", 0}, {"updated_at", "2026-12-03T10:00:00Z"}};
    auto const now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    queue::reply_request r{case_id, "medewerker", now_ms, std::chrono::minutes(5), id, "sms", msg.dump(), delivery.dump(), ""};
    auto const done = await<std::pair<boost::system::error_code, queue::action_result>>([&](auto d) { flow.reply(r, d); });
    REQUIRE(!done.first);
    REQUIRE(done.second.status == queue::action_status::done);
    return id;
  }

  bool wait_calls(std::size_t n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return calls.size() >= n; });
  }
  long long pending() { return st.server.integer({"XPENDING", queue::keys::outbound("sms"), "senders"}); }
  json delivery(std::string const& message_id) {
    auto const v = st.server.command({"HGET", queue::keys::case_delivery(case_id), message_id});
    return v.empty() ? json{} : json::parse(v);
  }
};

queue::outbox_settings fast(int max_attempts) {
  return {"sms", std::chrono::milliseconds(60'000), std::chrono::milliseconds(100), std::chrono::milliseconds(50),
          std::chrono::milliseconds(200), max_attempts, std::chrono::milliseconds(50)};
}

TEST_CASE("retries count as attempts with a backoff; after the last the entry is a dead letter, failed and acknowledged") {
  worker_stack w;
  w.script = {{kind::retry, "provider answered 503"}, {kind::retry, "provider answered 503"}, {kind::retry, "provider answered 503"}};
  auto const id = w.queue_reply();
  w.start(fast(3));
  REQUIRE(w.wait_calls(3));
  REQUIRE(eventually([&] { return w.pending() == 0; }));
  std::lock_guard lock(w.mutex);
  REQUIRE(w.calls.size() == 3);  // never a fourth
  CHECK(w.calls[0].attempts == 0);
  CHECK(w.calls[1].attempts == 1);
  CHECK(w.calls[2].attempts == 2);
  CHECK(w.calls[0].message_id == id);
  CHECK(w.logged == std::vector<std::string>{"send_deferred:1", "send_deferred:2", "dead_letter:3"});
  auto const d = w.delivery(id);
  CHECK(d["status"] == "failed");
  CHECK(d["attempts"] == 3);
  CHECK(d["last_error"] == "provider answered 503");
  auto const dead = w.st.server.list({"XRANGE", queue::keys::dead_letters("sms"), "-", "+"});
  CHECK(std::find(dead.begin(), dead.end(), id) != dead.end());
  CHECK(std::find(dead.begin(), dead.end(), "provider answered 503") != dead.end());
}

TEST_CASE("a permanent failure is a dead letter at once; Redis failing uses no attempt; done is acknowledged") {
  worker_stack w;
  w.script = {{kind::failed, "number does not exist"}, {kind::store_unavailable, "down"}, {kind::store_unavailable, "down"}};
  auto const refused = w.queue_reply();
  w.start(fast(5));
  REQUIRE(w.wait_calls(1));
  REQUIRE(eventually([&] { return w.delivery(refused).value("status", "") == "failed"; }));
  CHECK(w.delivery(refused)["attempts"] == 1);
  auto const later = w.queue_reply();
  REQUIRE(w.wait_calls(4));  // twice store_unavailable, then done
  REQUIRE(eventually([&] { return w.pending() == 0; }));
  std::lock_guard lock(w.mutex);
  CHECK(w.calls[3].message_id == later);
  CHECK(w.calls[3].attempts == 0);  // Redis failing cost no attempt
  CHECK(w.logged == std::vector<std::string>{"dead_letter:1", "sent:1"});  // the delivered reply is reported too (counted in /metrics)
  CHECK(w.st.server.integer({"XLEN", queue::keys::dead_letters("sms")}) == 1);
}

TEST_CASE("an entry another consumer has held past the takeover delay is taken over; a fresh one is not") {
  worker_stack w;
  auto const id = w.queue_reply();
  // An instance read it and died before acknowledging.
  w.st.server.list({"XREADGROUP", "GROUP", "senders", "sms:gone:1", "COUNT", "10", "STREAMS", queue::keys::outbound("sms"), ">"});
  auto settings = fast(3);
  settings.takeover_after = std::chrono::milliseconds(60'000);
  w.start(settings);
  auto const blocked = [&] { return w.st.server.command({"CLIENT", "LIST"}).find("cmd=xreadgroup") != std::string::npos; };
  REQUIRE(eventually(blocked));
  {
    std::lock_guard lock(w.mutex);
    CHECK(w.calls.empty());  // held for less than the takeover delay: still the other's
  }
  w.worker->stop();
  settings.takeover_after = std::chrono::milliseconds(100);
  w.start(settings);
  REQUIRE(w.wait_calls(1));
  REQUIRE(eventually([&] { return w.pending() == 0; }));
  std::lock_guard lock(w.mutex);
  CHECK(w.calls[0].message_id == id);
}

TEST_CASE("switched off, a staff reply is held (reported once, left pending) while an automatic message leaves; switched on, the reply goes") {
  worker_stack w;
  auto const reply = w.queue_staff_reply();
  w.start(fast(3), true);
  REQUIRE(eventually([&] { return w.delivery(reply).value("status", "") == "held"; }));
  auto const notice = w.queue_reply();  // automatic: the notice to a resident who wrote while off
  REQUIRE(w.wait_calls(1));
  REQUIRE(eventually([&] { return w.pending() == 1; }));  // the notice acknowledged; the reply waits
  {
    std::lock_guard lock(w.mutex);
    CHECK(w.calls.size() == 1);
    CHECK(w.calls[0].message_id == notice);
  }
  // Many rounds have read the held reply by now (the block is 100 ms); staff were told once.
  auto const held_reports = [&] {
    auto const flat = w.st.server.list({"XRANGE", std::string(queue::keys::events), "-", "+"});
    long n = 0;
    for (std::size_t i = 1; i < flat.size(); ++i) n += flat[i - 1] == "status" && flat[i] == "held";
    return n;
  };
  CHECK(held_reports() == 1);
  w.worker->set_held(false);
  REQUIRE(w.wait_calls(2));
  REQUIRE(eventually([&] { return w.pending() == 0; }));
  std::lock_guard lock(w.mutex);
  CHECK(w.calls[1].message_id == reply);
  CHECK(w.calls[1].attempts == 0);  // waiting for the switch cost no attempt
}

} // namespace
} // namespace balie::test
