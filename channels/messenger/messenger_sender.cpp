#include "channels/messenger/messenger_sender.hpp"

#include "channels/addresses.hpp"
#include "channels/awaited.hpp"
#include "channels/json_fields.hpp"
#include "channels/messenger/cm_whatsapp.hpp"
#include "channels/messenger/matrix_api.hpp"
#include "channels/messenger/reply_rules.hpp"
#include "channels/messenger/twilio_whatsapp.hpp"
#include "channels/messenger/whatsapp_api.hpp"
#include "channels/messenger/whatsapp_webhook.hpp"
#include "queue/case_workflow.hpp"
#include "queue/outbox_worker.hpp"
#include "server/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

namespace balie::messenger {
using namespace server;
namespace asio = boost::asio;
using boost::system::error_code;
namespace {

constexpr std::chrono::milliseconds max_backoff{15 * 60 * 1000};
/// A sent event is remembered this long for the read receipts that name it.
constexpr std::chrono::seconds sent_ttl{30 * 24 * 3600};

} // namespace

/// One platform's way out: its worker thread (a platform that hangs holds only this one), its breaker, its health.
struct messenger_sender::platform_lane {
  std::string name;
  boost::asio::thread_pool worker{1};
  channels::circuit_breaker breaker;  ///< on the outbox worker's strand
  mutable std::mutex mutex;
  platform_health health;
  platform_lane(std::string n, int failures, std::chrono::seconds cooldown) : name(std::move(n)), breaker(failures, cooldown) {}
  void note(platform_health::state s, std::string why) {
    std::lock_guard lock(mutex);
    health = {s, std::move(why)};
  }
};

messenger_sender::messenger_sender(messenger_config cfg, outbox_config outbox, std::shared_ptr<queue::redis_connection> own,
                                   queue::messenger_contacts contacts, queue::case_workflow& workflow, clock_fn clock, channels::outbound_call call,
                                   server::metrics* stats)
    : config_(std::move(cfg)), outbox_config_(outbox), redis_(std::move(own)), contacts_(std::move(contacts)), workflow_(workflow),
      clock_(std::move(clock)), call_(std::move(call)), stats_(stats) {
  if (config_.whatsapp.configured) whatsapp_ = std::make_unique<platform_lane>("whatsapp", config_.breaker_failures, config_.breaker_cooldown);
  if (config_.matrix.configured) matrix_ = std::make_unique<platform_lane>("matrix", config_.breaker_failures, config_.breaker_cooldown);
}

messenger_sender::~messenger_sender() {
  if (whatsapp_) whatsapp_->worker.join();
  if (matrix_) matrix_->worker.join();
}

void messenger_sender::start() {
  queue::outbox_settings settings{"messenger", outbox_config_.takeover_after, outbox_config_.block,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(config_.retry_initial), max_backoff,
                                  config_.max_send_attempts};
  auto outbox = std::make_shared<queue::outbox_worker>(
      redis_, workflow_, std::move(settings), clock_,
      [weak = weak_from_this()](outbox_entry const& e, delivery_done done) {
        if (auto self = weak.lock()) return self->deliver(e, std::move(done));
        done({delivery_outcome::kind::store_unavailable, "stopping"});
      },
      outbox_log("messenger", stats_));
  outbox_.start(std::move(outbox));
}

void messenger_sender::stop() {
  cancelled_ = true;  // a call in flight is abandoned; the reply stays pending and goes out after the restart
  outbox_.stop();
}

void messenger_sender::set_held(bool held) {
  outbox_.set_held(held);
}

messenger_sender::platform_lane* messenger_sender::lane(std::string const& platform) const {
  return platform == "whatsapp" ? whatsapp_.get() : platform == "matrix" ? matrix_.get() : nullptr;
}

platform_health messenger_sender::health(std::string const& platform) const {
  auto* l = lane(platform);
  if (!l) return {};
  std::lock_guard lock(l->mutex);
  return l->health;
}

void messenger_sender::call(std::string const& platform, channels::outbound_request req, std::function<void(channels::outbound_answer)> done) {
  auto* l = lane(platform);
  if (!l) return done({});
  // `this`, not a shared pointer: the destructor joins this worker (after what is queued ran), so the
  // last reference must never be dropped on it.
  asio::post(l->worker, [this, req = std::move(req), done = std::move(done)] { done(call_(req, config_.send_timeout, cancelled_)); });
}

void messenger_sender::deliver(outbox_entry const& entry, delivery_done done) {
  asio::co_spawn(redis_->strand(), send(shared_from_this(), entry), [done = std::move(done)](std::exception_ptr e, delivery_outcome o) {
    if (e) return done({delivery_outcome::kind::retry, "the message could not be prepared"});
    done(std::move(o));
  });
}

// Runs on the outbox worker's strand, and so does the whole coroutine.
asio::awaitable<delivery_outcome> messenger_sender::send([[maybe_unused]] std::shared_ptr<messenger_sender> self, outbox_entry entry) {
  using kind = delivery_outcome::kind;
  auto const msg = nlohmann::json::parse(entry.msg, nullptr, false);
  if (msg.is_discarded() || !msg.is_object()) co_return delivery_outcome{kind::failed, "unreadable outbound message"};
  std::string platform, to;
  auto const resident = msg.find("resident");
  auto const addresses = resident == msg.end() || !resident->is_object() ? msg.end() : resident->find("addresses");
  if (resident != msg.end() && resident->is_object() && addresses != resident->end() && addresses->is_array())
    for (auto const& a : *addresses) {
      auto const k = json_fields::text(a, "kind");
      if ((k == "whatsapp" || k == "matrix") && to.empty()) platform = k, to = json_fields::text(a, "value");
    }
  auto const text = json_fields::text(msg, "text");
  auto const routing = msg.find("routing");
  auto const rule = routing == msg.end() ? std::string{} : json_fields::text(*routing, "rule");
  auto const automatic = msg.find("auto_generated");
  bool const by_balie = automatic != msg.end() && automatic->is_boolean() && automatic->get<bool>();
  if (platform == "whatsapp" && whatsapp_) co_return co_await send_whatsapp(entry, to, text, rule, by_balie, json_fields::text(msg, "reference"));
  if (platform == "matrix" && matrix_) co_return co_await send_matrix(entry, to, text);
  co_return delivery_outcome{kind::failed, platform.empty() ? "no messenger address to send to" : platform + " is not configured here"};
}

asio::awaitable<send_answer> messenger_sender::attempt(platform_lane& l, channels::outbound_request request,
                                                       send_answer (*read)(channels::outbound_answer const&)) {
  using k = send_answer::kind;
  if (!l.breaker.allows(std::chrono::steady_clock::now())) {
    l.note(platform_health::state::circuit_open, l.name + " failed " + std::to_string(config_.breaker_failures) + " times in a row; paused");
    co_return send_answer{k::retry, "", "the platform's circuit is open after repeated failures"};
  }
  // By reference: the coroutine waits for the call, so they outlive it (see channels/awaited.hpp).
  auto const response = co_await awaited_on(l.worker, [this, &request] { return call_(request, config_.send_timeout, cancelled_); });
  auto answer = read(response);
  switch (answer.outcome) {
  case k::accepted:
  case k::failed:
  case k::outside_window:
    l.breaker.succeeded();  // the platform answered; this message may be what is wrong
    l.note(platform_health::state::answered, "");
    break;
  case k::bad_credentials:
    l.breaker.failed(std::chrono::steady_clock::now());
    l.note(platform_health::state::bad_credentials, answer.detail);
    break;
  case k::retry:
    l.breaker.failed(std::chrono::steady_clock::now());
    l.note(platform_health::state::unreachable, answer.detail);
    break;
  }
  co_return answer;
}

asio::awaitable<delivery_outcome> messenger_sender::send_whatsapp(outbox_entry const& entry, std::string const& to, std::string const& text,
                                                                  std::string const& rule, bool automatic, std::string const& reference) {
  using kind = delivery_outcome::kind;
  if (!is_e164(to)) co_return delivery_outcome{kind::failed, "no WhatsApp number to send to"};
  if (auto const it = accepted_.find(entry.id); it != accepted_.end()) co_return co_await recorded(entry, to, it->second);
  bool const use_template = rule == "whatsapp-template";
  // Staff text only: Balie's own privacy notice names the BSN to say it is never asked for here.
  if (!use_template && !automatic && mentions_bsn(text))
    co_return delivery_outcome{kind::failed, "WhatsApp is never used to ask for a BSN; answer on another channel"};
  if (use_template && config_.whatsapp.template_name.empty())
    co_return delivery_outcome{kind::failed, "no approved WhatsApp template is configured"};
  if (!use_template) {  // Balie's own words too: a message Meta delivered a day late opens no window
    auto const [ec, last] = co_await awaited<error_code, std::optional<long long>>([this, &to](auto done) { contacts_.last_inbound(to, std::move(done)); });
    if (ec) co_return delivery_outcome{kind::store_unavailable, "the case store is unavailable"};
    if (!window_open(last ? std::optional<timestamp>(timestamp(std::chrono::milliseconds(*last))) : std::nullopt, clock_()))
      co_return delivery_outcome{kind::failed, "the resident's last WhatsApp message is more than 24 hours old; send the approved template or answer on another channel"};
  }
  // Balie's ids ride along so that every status names its message: Meta's callback data, CM's reference, Twilio's callback URL.
  auto const callback = callback_data(entry.case_id, entry.message_id);
  auto const& w = config_.whatsapp;
  channels::outbound_request request;
  send_answer (*read)(channels::outbound_answer const&) = read_whatsapp_answer;
  if (w.via == "cm") {
    request = use_template ? cm_template_request(w, to, reference, callback) : cm_text_request(w.cm, to, text, callback);
    read = read_cm_answer;
  } else if (w.via == "twilio") {
    auto const report_to = twilio_status_url(config_.public_base_url, entry.case_id, entry.message_id);
    request = use_template ? twilio_template_request(w.twilio, to, reference, report_to) : twilio_text_request(w.twilio, to, text, report_to);
    read = read_twilio_answer;
  } else {
    request = use_template ? whatsapp_template_request(w, to, reference, callback) : whatsapp_text_request(w, to, text, callback);
  }
  auto answer = co_await attempt(*whatsapp_, request, read);
  if (answer.platform_id.empty()) answer.platform_id = callback;  // CM names a message by Balie's reference
  using a = send_answer::kind;
  if (answer.outcome == a::outside_window)
    co_return delivery_outcome{kind::failed, "WhatsApp refused free text: the 24-hour window has closed; send the approved template or answer on another channel"};
  if (answer.outcome == a::failed) co_return delivery_outcome{kind::failed, answer.detail};
  if (answer.outcome != a::accepted) co_return delivery_outcome{kind::retry, answer.detail, answer.retry_after};
  accepted_[entry.id] = answer.platform_id;
  co_return co_await recorded(entry, to, answer.platform_id);
}

asio::awaitable<delivery_outcome> messenger_sender::send_matrix(outbox_entry const& entry, std::string const& to, std::string const& text) {
  using kind = delivery_outcome::kind;
  if (auto const it = accepted_.find(entry.id); it != accepted_.end()) co_return co_await recorded(entry, to, it->second);
  auto const [ec, room] = co_await awaited<error_code, std::string>([this, &to](auto done) { contacts_.room_of(to, std::move(done)); });
  if (ec) co_return delivery_outcome{kind::store_unavailable, "the case store is unavailable"};
  if (room.empty()) co_return delivery_outcome{kind::failed, "no Matrix room is known for this resident"};
  // Balie's message id as the transaction id: a retry after a lost answer is the same event.
  auto const answer = co_await attempt(*matrix_, matrix_send_request(config_.matrix, room, entry.message_id, text), read_matrix_answer);
  using a = send_answer::kind;
  if (answer.outcome == a::failed) co_return delivery_outcome{kind::failed, answer.detail};
  if (answer.outcome != a::accepted) co_return delivery_outcome{kind::retry, answer.detail, answer.retry_after};
  accepted_[entry.id] = answer.platform_id;
  co_return co_await recorded(entry, to, answer.platform_id);
}

// The platform took it: record, and never send it again.
asio::awaitable<delivery_outcome> messenger_sender::recorded(outbox_entry const& entry, std::string const& address, std::string const& platform_id) {
  auto const unavailable = delivery_outcome{delivery_outcome::kind::store_unavailable, "the case store is unavailable"};
  auto const [rec] = co_await awaited<error_code>([this, &entry, &address, &platform_id](auto done) {
    contacts_.record_sent(entry.case_id, entry.message_id, address, platform_id, config_.thread_window, sent_ttl, std::move(done));
  });
  if (rec) co_return unavailable;
  queue::delivery_update const u{entry.case_id, entry.message_id, "sent", entry.attempts + 1, "", format_rfc3339(clock_())};
  auto const [reported, ignored] = co_await awaited<error_code, queue::action_result>(
      [this, &u](auto done) { workflow_.report_delivery(u, std::move(done)); });
  if (reported) co_return unavailable;
  log::info("messenger.sent", {{"case_id", entry.case_id}, {"message_id", entry.message_id}});
  accepted_.erase(entry.id);
  co_return delivery_outcome{};
}

} // namespace balie::messenger
