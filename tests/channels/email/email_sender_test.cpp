// The SMTP sender against a real Redis, with the relay replaced by a fake
// that answers what each test scripts (sent, a temporary or a permanent
// failure): retries with backoff until sent, a permanent failure as `failed`
// with a dead letter, the attempt limit, a mail that cannot be composed, and
// one failing reply never holding up the next, and the relay's state
// (answered, unreachable, refusing Balie's login) for the channel's health. What reached the "relay" is
// checked as the relay would see it: envelope sender, recipient, bytes.
#include "calendar/dutch_dates.hpp"
#include "channels/email/email_sender.hpp"
#include "channels/email/team_notices.hpp"
#include "queue/answer_watch.hpp"
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/queue_stack.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <deque>
#include <map>

namespace balie::test {
namespace {

using json = nlohmann::json;
using email::smtp_result;

/// The relay: answers from a script per recipient (default: sent) and records every call.
struct fake_relay {
  struct call {
    std::string envelope_from, recipient, message;
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::deque<smtp_result>> script;
  std::vector<call> calls;

  email::smtp_transport transport() {
    return [this](email::email_config const&, std::string const& from, std::string const& to, std::string const& message,
                  std::atomic<bool> const&) {
      std::lock_guard lock(mutex);
      calls.push_back({from, to, message});
      cv.notify_all();
      auto& queue = script[to];
      if (queue.empty()) return smtp_result{};
      auto r = queue.front();
      queue.pop_front();
      return r;
    };
  }
  std::size_t count(std::string const& to) const {
    return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [&](call const& c) { return c.recipient == to; }));
  }
  std::size_t calls_to(std::string const& to) {
    std::lock_guard lock(mutex);
    return count(to);
  }
  bool wait_calls(std::string const& to, std::size_t n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return count(to) >= n; });
  }
};

struct sender_stack {
  queue_stack st;
  id_source ids;
  queue::case_workflow flow{st.h->redis};
  fake_relay relay;
  std::shared_ptr<email::email_sender> sender;

  std::map<std::string, std::string> stream_ids;  ///< message id → its entry in balie:out:{email}

  explicit sender_stack(int max_attempts = 8, std::chrono::seconds retry_initial = std::chrono::seconds(1)) {
    email::email_config cfg;
    cfg.enabled = true;
    cfg.domain = "gemeente.test";
    cfg.addresses = {{"info@gemeente.test", "algemeen"}};
    cfg.smtp_url = "smtp://127.0.0.1:1";  // unused: the fake relay answers
    cfg.smtp_retry_initial = retry_initial;
    cfg.max_send_attempts = max_attempts;
    auto own = queue::redis_connection::create(st.h->ioc.get_executor(), options_for(st.server), [](std::string_view, std::string_view) {});
    sender = std::make_shared<email::email_sender>(cfg, outbox_config{}, own, *st.store, queue::email_threads(*st.h->redis), flow,
                                                   std::make_shared<channels::resident_texts const>(channels::resident_texts::load(std::string(BALIE_SOURCE_DIR) + "/config/texts")),
                                                   system_now, relay.transport());
    sender->start();
  }
  ~sender_stack() { sender->stop(); }

  /// A resident's mail that opens a case.
  case_message resident_mail(std::string const& from) {
    case_message m;
    auto const now = system_now();
    m.id = ids.ulid(now);
    m.case_id = ids.ulid(now);
    m.reference = ids.case_reference();
    m.channel = channel::email;
    m.provider = "lmtp";
    m.provider_message_id = "vraag." + m.id + "@burger.test";
    m.occurred_at = m.received_at = now;
    m.resident.addresses = {{"email", from}};
    m.subject = "Container";
    m.text = "Mijn container is kapot.";
    m.routing = routing_info{"algemeen", priority::normal, std::nullopt, "test"};
    return m;
  }

  /// A resident's mail as a new case; returns the case id.
  std::string email_case(std::string const& from) {
    auto const m = resident_mail(from);
    REQUIRE(!enqueue(*st.store, m, "email:" + m.id).first);
    return m.case_id;
  }

  /// Queues an outbound mail to `to` on the case (as an acknowledgement would be); returns its message id.
  std::string queue_mail(std::string const& case_id, std::string const& to, std::string const& text = "Wij helpen u graag.") {
    auto const now = system_now();
    case_message m;
    m.id = ids.ulid(now);
    m.case_id = case_id;
    m.reference = "BL-7K3M9Q";
    m.direction = direction::outbound;
    m.channel = channel::email;
    m.provider = "balie";
    m.provider_message_id = m.id;
    m.occurred_at = m.received_at = now;
    m.resident.addresses = {{"email", to}};
    m.text = text;
    json const delivery = {{"status", "queued"}, {"attempts", 0}, {"updated_at", "2026-11-28T10:00:00Z"}};
    queue::automatic_request r{case_id, m.id, "email", to_json(m).dump(), delivery.dump(), "test:" + m.id, 10, std::chrono::seconds(60)};
    auto const done = await<std::pair<boost::system::error_code, queue::action_result>>([&](auto d) { flow.queue_automatic(r, d); });
    REQUIRE(!done.first);
    REQUIRE(done.second.status == queue::action_status::done);
    stream_ids[m.id] = done.second.detail;
    return m.id;
  }

  json delivery(std::string const& case_id, std::string const& message_id) {
    auto const v = st.server.command({"HGET", queue::keys::case_delivery(case_id), message_id});
    return v.empty() ? json{} : json::parse(v);
  }

  /// Waits for the delivery status, woken by the delivery events Balie writes (no sleeping).
  json wait_status(std::string const& case_id, std::string const& message_id, std::string const& status) {
    auto last = st.server.list({"XREVRANGE", std::string(queue::keys::events), "+", "-", "COUNT", "1"});
    std::string cursor = last.empty() ? "0-0" : last[0];
    for (int i = 0; i < 100; ++i) {
      auto const d = delivery(case_id, message_id);
      if (d.value("status", "") == status) return d;
      st.server.list({"XREAD", "BLOCK", "5000", "STREAMS", std::string(queue::keys::events), cursor});
      auto newest = st.server.list({"XREVRANGE", std::string(queue::keys::events), "+", "-", "COUNT", "1"});
      if (!newest.empty()) cursor = newest[0];
    }
    FAIL("delivery never became " << status << ": " << delivery(case_id, message_id).dump());
    return {};
  }

  /// Whether the mail's outbox entry is still unacknowledged. The sender handles one entry after the
  /// other, so once a later mail is sent, an earlier one's XACK has happened: `settle` makes sure of that.
  bool pending(std::string const& message_id) {
    auto const entries = st.server.list({"XPENDING", queue::keys::outbound("email"), "senders", "-", "+", "100"});
    return std::find(entries.begin(), entries.end(), stream_ids.at(message_id)) != entries.end();
  }
  void settle() {
    auto const case_id = email_case("later@burger.test");
    wait_status(case_id, queue_mail(case_id, "later@burger.test"), "sent");
  }
};

TEST_CASE("temporary relay failures are retried with backoff until the mail is sent; then the case knows its recipient") {
  sender_stack s;
  auto const case_id = s.email_case("jan@burger.test");
  s.relay.script["jan@burger.test"] = {email::smtp_failure{false, "relay answered 451"}, email::smtp_failure{false, "connection refused"}};
  auto const id = s.queue_mail(case_id, "jan@burger.test");
  auto const sent = s.wait_status(case_id, id, "sent");
  CHECK(sent["attempts"] == 3);
  CHECK(!sent.contains("last_error"));
  {
    std::lock_guard lock(s.relay.mutex);
    REQUIRE(s.relay.calls.size() == 3);
    auto const& last = s.relay.calls.back();
    CHECK(last.envelope_from == "bounces+" + case_id + "." + id + "@gemeente.test");
    CHECK(last.message.find("Message-ID: <case-" + case_id + ".reply-" + id + "@gemeente.test>") != std::string::npos);
    CHECK(last.message.find("In-Reply-To: <vraag.") != std::string::npos);
    // The same Message-ID each time: a retry is recognisable as the same mail.
    for (auto const& c : s.relay.calls)
      CHECK(c.message.find("Message-ID: <case-" + case_id + ".reply-" + id + "@gemeente.test>") != std::string::npos);
  }
  CHECK(s.st.server.command({"SISMEMBER", queue::keys::case_participants(case_id), "jan@burger.test"}) == "1");
  CHECK(s.st.server.command({"GET", queue::keys::email_message("case-" + case_id + ".reply-" + id + "@gemeente.test")}) == case_id);
  s.settle();
  CHECK(!s.pending(id));
}

TEST_CASE("a permanent refusal fails the mail at once, with the reason, and keeps it as a dead letter") {
  sender_stack s;
  auto const case_id = s.email_case("piet@burger.test");
  s.relay.script["piet@burger.test"] = {email::smtp_failure{true, "relay answered 550 (no such user)"}};
  auto const id = s.queue_mail(case_id, "piet@burger.test");
  auto const failed = s.wait_status(case_id, id, "failed");
  CHECK(failed["last_error"] == "relay answered 550 (no such user)");
  CHECK(s.st.server.integer({"XLEN", queue::keys::dead_letters("email")}) == 1);
  CHECK(s.relay.calls_to("piet@burger.test") == 1);
  s.settle();
  CHECK(!s.pending(id));
}

TEST_CASE("after max_attempts temporary failures the mail is failed; meanwhile other mail goes out") {
  sender_stack s(2, std::chrono::seconds(5));  // a backoff far longer than sending the other mail takes
  auto const stuck_case = s.email_case("vast@burger.test");
  auto const other_case = s.email_case("klaar@burger.test");
  s.relay.script["vast@burger.test"] = {email::smtp_failure{false, "timeout"}, email::smtp_failure{false, "timeout"}};
  auto const stuck = s.queue_mail(stuck_case, "vast@burger.test");
  REQUIRE(s.relay.wait_calls("vast@burger.test", 1));
  auto const other = s.queue_mail(other_case, "klaar@burger.test");
  s.wait_status(other_case, other, "sent");
  CHECK(s.delivery(stuck_case, stuck)["status"] == "queued");  // the backoff of one mail holds up no other
  auto const failed = s.wait_status(stuck_case, stuck, "failed");
  CHECK(failed["attempts"] == 2);
  CHECK(s.relay.calls_to("vast@burger.test") == 2);
  std::lock_guard lock(s.relay.mutex);
  REQUIRE(s.relay.calls.size() == 3);
  CHECK(s.relay.calls[1].recipient == "klaar@burger.test");  // between the stuck mail's two attempts
}

TEST_CASE("a relay that refuses Balie's login makes the relay bad-credentials; the reply waits and leaves once the login works") {
  sender_stack s(8, std::chrono::seconds(3));  // a backoff long enough to see the state in between
  CHECK(s.sender->relay().first == email::relay_state::answered);
  auto const case_id = s.email_case("jan@burger.test");
  s.relay.script["jan@burger.test"] = {
      email::smtp_failure{false, "relay answered 535 (Login denied)", email::relay_state::bad_credentials}};
  auto const id = s.queue_mail(case_id, "jan@burger.test");
  // Not the resident's fault: the reply is not failed but waits for the operator's fix.
  REQUIRE(eventually([&] { return s.delivery(case_id, id).value("attempts", 0) == 1; }));
  CHECK(s.delivery(case_id, id)["status"] == "queued");
  auto const [state, why] = s.sender->relay();
  CHECK(state == email::relay_state::bad_credentials);
  CHECK(why == "relay answered 535 (Login denied)");
  s.wait_status(case_id, id, "sent");
  CHECK(s.sender->relay().first == email::relay_state::answered);
  CHECK(s.sender->relay().second.empty());
}

TEST_CASE("a mail that cannot be composed safely is failed without reaching the relay") {
  sender_stack s;
  auto const case_id = s.email_case("jan@burger.test");
  auto const id = s.queue_mail(case_id, "geen adres");
  auto const failed = s.wait_status(case_id, id, "failed");
  CHECK(failed["last_error"] == "The recipient address is not valid.");
  std::lock_guard lock(s.relay.mutex);
  CHECK(s.relay.calls.empty());
}

/// A case promised an answer by `answer_by`, reported by the real watchdog at twice that; the team
/// notice sender reads the notice the watchdog wrote and mails it through the same fake relay.
struct team_stack : sender_stack {
  std::shared_ptr<email::team_notice_sender> team;
  queue::answer_watch watch{st.h->redis};

  team_stack() {
    email::email_config cfg;
    cfg.enabled = true;
    cfg.domain = "gemeente.test";
    cfg.addresses = {{"info@gemeente.test", "algemeen"}};
    cfg.smtp_url = "smtp://127.0.0.1:1";
    cfg.smtp_retry_initial = std::chrono::seconds(1);
    cfg.max_send_attempts = 3;
    auto own = queue::redis_connection::create(st.h->ioc.get_executor(), options_for(st.server), [](std::string_view, std::string_view) {});
    team = std::make_shared<email::team_notice_sender>(cfg, outbox_config{}, own, flow, system_now, relay.transport());
    team->start();
  }
  ~team_stack() { team->stop(); }

  /// A resident's mail that opens a case with a promise; returns the case id and its reference.
  std::pair<std::string, std::string> promised_case(timestamp answer_by) {
    auto const m = resident_mail("jan@burger.test");
    std::promise<void> stored;
    st.store->enqueue(m, "email:" + m.id, true, [&](boost::system::error_code ec, queue::enqueue_result) {
      CHECK(!ec);
      stored.set_value();
    }, {}, {}, queue::case_promise{answer_by, answer_by + std::chrono::hours(8)});
    stored.get_future().get();
    return {m.case_id, m.reference};
  }
  void sweep(timestamp now) {
    std::map<std::string, std::string> const teams{{"algemeen", "team-algemeen@gemeente.test"}};
    auto const [ec, found] = await<std::pair<boost::system::error_code, std::vector<queue::watch_finding>>>(
        [&](auto done) { watch.sweep(now.time_since_epoch().count(), 100, teams, done); });
    REQUIRE(!ec);
  }
};

TEST_CASE("a case the watchdog reports is mailed to its inbox's team once: the reference and the promised day, nothing of the resident") {
  team_stack s;
  auto const answer_by = system_now() - std::chrono::hours(20);  // a promise long broken: overdue, then reported
  auto const [case_id, reference] = s.promised_case(answer_by);
  s.sweep(system_now());  // overdue
  s.sweep(system_now() + std::chrono::hours(1));  // reported
  s.sweep(system_now() + std::chrono::hours(2));  // reported once only
  REQUIRE(s.relay.wait_calls("team-algemeen@gemeente.test", 1));
  std::string mail;
  {
    std::lock_guard lock(s.relay.mutex);
    for (auto const& c : s.relay.calls)
      if (c.recipient == "team-algemeen@gemeente.test") mail = c.message;
    CHECK(s.relay.count("team-algemeen@gemeente.test") == 1);
  }
  CHECK(mail.find("Subject: Zaak " + reference + " wacht te lang op antwoord") != std::string::npos);
  CHECK(mail.find("Auto-Submitted:") != std::string::npos);
  CHECK(mail.find(calendar::format_day(answer_by, "nl")) != std::string::npos);
  CHECK(mail.find("kapot") == std::string::npos);  // not the resident's words
  CHECK(mail.find("jan@burger.test") == std::string::npos);
  CHECK(s.st.server.integer({"HLEN", queue::keys::case_delivery(case_id)}) == 0);  // no delivery report on the case
  // A later notice goes out too: the first was acknowledged, not left pending.
  auto const second = s.promised_case(answer_by);
  s.sweep(system_now() + std::chrono::hours(3));
  s.sweep(system_now() + std::chrono::hours(4));
  REQUIRE(s.relay.wait_calls("team-algemeen@gemeente.test", 2));
}

TEST_CASE("a team notice the relay refuses for good becomes a dead letter; the case is not touched") {
  team_stack s;
  s.relay.script["team-algemeen@gemeente.test"] = {email::smtp_failure{true, "relay answered 550 (no such user)"}};
  auto const answer_by = system_now() - std::chrono::hours(20);
  auto const [case_id, reference] = s.promised_case(answer_by);
  s.sweep(system_now());
  s.sweep(system_now() + std::chrono::hours(1));
  auto const dead = s.st.server.list({"XREAD", "BLOCK", "30000", "STREAMS", queue::keys::dead_letters("team"), "0-0"});
  CHECK(std::find(dead.begin(), dead.end(), "relay answered 550 (no such user)") != dead.end());
  CHECK(s.st.server.integer({"HLEN", queue::keys::case_delivery(case_id)}) == 0);
  CHECK(s.st.server.command({"HGET", queue::keys::case_hash(case_id), "reported_at"}) != "");
}

TEST_CASE("a team notice's mail: Dutch, the day promised, and a notice without a case is refused") {
  email::email_config cfg;
  cfg.domain = "gemeente.test";
  auto const ok = email::compose_team_notice(R"({"to":"team@gemeente.test","inbox":"afval","reference":"BL-7K3M9Q","answer_by":1796000000000})", cfg,
                                             system_now());
  REQUIRE(ok.has_value());
  CHECK(ok->to == "team@gemeente.test");
  CHECK(ok->message.find("To: <team@gemeente.test>") != std::string::npos);
  CHECK(!email::compose_team_notice(R"({"to":"team@gemeente.test","inbox":"afval"})", cfg, system_now()));
  CHECK(!email::compose_team_notice("not json", cfg, system_now()));
  CHECK(!email::compose_team_notice(R"({"to":"team@gemeente.test\r\nBcc: x@y.test","inbox":"afval","reference":"BL-7K3M9Q","answer_by":1})", cfg,
                                    system_now()));
}

} // namespace
} // namespace balie::test
