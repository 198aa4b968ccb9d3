#include "channels/sms/sms_sender.hpp"

#include "channels/addresses.hpp"
#include "channels/awaited.hpp"
#include "channels/json_fields.hpp"
#include "channels/sms_segments.hpp"
#include "queue/case_workflow.hpp"
#include "queue/outbox_worker.hpp"
#include "server/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <nlohmann/json.hpp>

namespace balie::sms {
using namespace server;
namespace asio = boost::asio;
using boost::system::error_code;
namespace {

constexpr std::chrono::milliseconds max_backoff{15 * 60 * 1000};

} // namespace

sms_sender::sms_sender(sms_config cfg, outbox_config outbox, std::shared_ptr<queue::redis_connection> own, queue::sms_numbers numbers,
                       queue::case_workflow& workflow, clock_fn clock, provider_call call, server::metrics* stats)
    : config_(std::move(cfg)), provider_(config_.providers.at(config_.send_via)), outbox_config_(outbox), redis_(std::move(own)),
      numbers_(std::move(numbers)), workflow_(workflow), clock_(std::move(clock)), call_(std::move(call)), stats_(stats),
      breaker_(config_.breaker_failures, config_.breaker_cooldown) {}

sms_sender::~sms_sender() { worker_.join(); }

void sms_sender::start() {
  queue::outbox_settings settings{"sms", outbox_config_.takeover_after, outbox_config_.block,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(config_.retry_initial), max_backoff,
                                  config_.max_send_attempts};
  auto outbox = std::make_shared<queue::outbox_worker>(
      redis_, workflow_, std::move(settings), clock_,
      [weak = weak_from_this()](outbox_entry const& e, delivery_done done) {
        if (auto self = weak.lock()) return self->deliver(e, std::move(done));
        done({delivery_outcome::kind::store_unavailable, "stopping"});
      },
      outbox_log("sms", stats_));
  outbox_.start(std::move(outbox));
}

void sms_sender::stop() {
  cancelled_ = true;  // a call in flight is abandoned; the reply stays pending and goes out after the restart
  outbox_.stop();
}

void sms_sender::set_held(bool held) {
  outbox_.set_held(held);
}

std::pair<provider_state, std::string> sms_sender::provider() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

void sms_sender::note(provider_state s, std::string why) {
  std::lock_guard lock(state_mutex_);
  state_ = {s, std::move(why)};
}

void sms_sender::deliver(outbox_entry const& entry, delivery_done done) {
  asio::co_spawn(redis_->strand(), send(shared_from_this(), entry), [done = std::move(done)](std::exception_ptr e, delivery_outcome o) {
    if (e) return done({delivery_outcome::kind::retry, "the SMS could not be prepared"});
    done(std::move(o));
  });
}

provider_request sms_sender::request_for(outbox_entry const& entry, std::string const& to, std::string const& text) const {
  outbound_ref const ref{entry.case_id, entry.message_id};
  if (config_.send_via == "kannel")
    return kannel_request(provider_, to, text, !sms_segments(text).gsm7, config_.max_segments, status_url(config_.public_base_url, "kannel", ref));
  if (config_.send_via == "twilio") return twilio_request(provider_, to, text, status_url(config_.public_base_url, "twilio", ref));
  if (config_.send_via == "bird") return bird_request(provider_, to, text, ref);
  if (config_.send_via == "messagebird")
    return messagebird_request(provider_, to, text, ref, config_.public_base_url + "/api/v1/webhooks/sms/messagebird/status");
  return cm_request(provider_, to, text, ref, config_.max_segments);
}

// Runs on the outbox worker's strand, and so does the whole coroutine.
asio::awaitable<delivery_outcome> sms_sender::send([[maybe_unused]] std::shared_ptr<sms_sender> self, outbox_entry entry) {
  using kind = delivery_outcome::kind;
  auto const msg = nlohmann::json::parse(entry.msg, nullptr, false);
  if (msg.is_discarded() || !msg.is_object()) co_return delivery_outcome{kind::failed, "unreadable outbound message"};
  std::string to;
  auto const resident = msg.find("resident");
  auto const addresses = resident == msg.end() ? msg.end() : resident->find("addresses");
  if (resident != msg.end() && addresses != resident->end() && addresses->is_array())
    for (auto const& a : *addresses)
      if (json_fields::text(a, "kind") == "phone" && to.empty()) to = json_fields::text(a, "value");
  if (!is_e164(to)) co_return delivery_outcome{kind::failed, "no mobile number to send to"};
  auto const text = json_fields::text(msg, "text");
  auto const routing = msg.find("routing");
  auto const rule = routing == msg.end() ? std::string{} : json_fields::text(*routing, "rule");
  auto const unavailable = delivery_outcome{kind::store_unavailable, "the case store is unavailable"};

  if (!accepted_.count(entry.id)) {
    // The confirmation of a STOP is the one SMS a number that opted out still gets.
    if (rule != "sms-opt-out-confirmation") {
      auto const [ec, opted_out] = co_await awaited<error_code, bool>([this, &to](auto done) { numbers_.opted_out(to, std::move(done)); });
      if (ec) co_return unavailable;
      if (opted_out) co_return delivery_outcome{kind::failed, "the resident asked not to get SMS (STOP); choose another channel"};
    }
    auto const now = std::chrono::steady_clock::now();
    if (!breaker_.allows(now)) {
      note(provider_state::circuit_open, config_.send_via + " failed " + std::to_string(config_.breaker_failures) + " times in a row; paused");
      co_return delivery_outcome{kind::retry, "the provider's circuit is open after repeated failures"};
    }
    auto const request = request_for(entry, to, text);
    // By reference: the coroutine waits for the call, so they outlive it (see channels/awaited.hpp).
    auto const response = co_await awaited_on(worker_, [this, &request] { return call_(request, config_.send_timeout, cancelled_); });
    auto const answer = read_send_answer(config_.send_via, response.status, response.body, response.transport);
    using a = send_answer::kind;
    if (answer.outcome == a::accepted) {
      breaker_.succeeded();
      note(provider_state::answered, "");
    } else if (answer.outcome == a::failed) {
      note(provider_state::answered, "");  // the provider is fine; this message is not
      co_return delivery_outcome{kind::failed, answer.detail};
    } else {
      breaker_.failed(std::chrono::steady_clock::now());
      note(answer.outcome == a::bad_credentials ? provider_state::bad_credentials : provider_state::unreachable, answer.detail);
      co_return delivery_outcome{kind::retry, answer.detail};  // Balie's own credentials refused: it waits for an operator
    }
    accepted_.insert(entry.id);
  }
  // The provider took it: record, and never send it again.
  auto const [recorded] = co_await awaited<error_code>([this, &entry, &to](auto done) {
    numbers_.record_sent(entry.case_id, to, config_.thread_window, std::move(done));
  });
  if (recorded) co_return unavailable;
  queue::delivery_update const u{entry.case_id, entry.message_id, "sent", entry.attempts + 1, "", format_rfc3339(clock_())};
  auto const [reported, ignored] = co_await awaited<error_code, queue::action_result>(
      [this, &u](auto done) { workflow_.report_delivery(u, std::move(done)); });
  if (reported) co_return unavailable;
  log::info("sms.sent", {{"case_id", entry.case_id}, {"message_id", entry.message_id}, {"provider", config_.send_via}});
  accepted_.erase(entry.id);
  co_return delivery_outcome{};
}

} // namespace balie::sms
