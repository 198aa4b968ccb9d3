#include "channels/webchat/chat_service.hpp"

#include "channels/automatic_message.hpp"
#include "channels/bsn.hpp"

#include "server/log.hpp"
#include "channels/text.hpp"
#include "queue/keys.hpp"

#include <boost/asio/post.hpp>

#include <ctime>
namespace balie::webchat {
using namespace server;
namespace {

/// How long one blocking read of the outbox waits; and the pause after a failure.
/// A reply pending this long at another instance is taken over (that instance died).
/// Heartbeat of the event-stream fallback (proxies drop silent streams).

std::string random_token() { return random_text(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"); }

std::string language_code(std::string const& lang) { return lang == "en" ? "eng" : "nld"; }

} // namespace

bool origin_in(std::vector<std::string> const& allowed, std::string_view origin) {
  for (auto const& a : allowed) {
    if (a == origin) return true;
    if (a == "loopback")
      for (std::string_view prefix : {"http://127.0.0.1:", "http://localhost:"})
        if (origin.substr(0, prefix.size()) == prefix && origin.size() > prefix.size() &&
            origin.find_first_not_of("0123456789", prefix.size()) == std::string_view::npos)
          return true;
  }
  return false;
}

bool within_hours(std::vector<std::vector<opening_window>> const& hours, timestamp now) {
  if (hours.empty()) return true;
  auto const t = static_cast<std::time_t>(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  std::tm local{};
  localtime_r(&t, &local);
  int const minute = local.tm_hour * 60 + local.tm_min;
  for (auto const& w : hours[static_cast<std::size_t>(local.tm_wday)])
    if (minute >= w.from_minute && minute < w.to_minute) return true;
  return false;
}

chat_service::chat_service(boost::asio::any_io_executor ex, std::shared_ptr<webchat_config const> cfg, outbox_config outbox, inbound_sink& sink,
                           queue::chat_store& store, queue::case_workflow& workflow, std::shared_ptr<queue::redis_connection> sender_redis,
                           std::shared_ptr<queue::event_feed> feed, clock_fn clock, id_source& ids, server::metrics* stats)
    : executor_(ex), config_(std::move(cfg)), outbox_(outbox), sink_(sink), store_(store), workflow_(workflow), sender_redis_(std::move(sender_redis)),
      feed_(std::move(feed)), clock_(std::move(clock)), ids_(ids), ping_timer_(ex), enabled_(config_->enabled), stats_(stats) {}

void chat_service::set_config(std::shared_ptr<webchat_config const> c) {
  std::lock_guard lock(mutex_);
  config_ = std::move(c);
}

std::shared_ptr<webchat_config const> chat_service::current_config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

chat_status chat_service::status() const {
  auto const cfg = current_config();
  bool const on = enabled_;
  bool const open = on && within_hours(cfg->hours, clock_());
  if (open) return {true, {}, {}};
  std::lock_guard lock(mutex_);
  if (!on && !switch_notice_nl_.empty()) return {false, switch_notice_nl_, switch_notice_en_};
  return {false, cfg->closed_notice, {}};
}

void chat_service::set_enabled(bool on, std::string notice_nl, std::string notice_en) {
  std::lock_guard lock(mutex_);
  switch_notice_nl_ = std::move(notice_nl);
  switch_notice_en_ = std::move(notice_en);
  enabled_ = on;
  if (sender_) sender_->set_held(!on);
}

bool chat_service::origin_allowed(std::string_view origin) const { return origin_in(current_config()->allowed_origins, origin); }

void chat_service::start() {
  subscription_ = feed_->subscribe([weak = weak_from_this()](queue::live_event const& e) {
    if (auto self = weak.lock()) self->on_event(e);
  });
  // Events before the feed (re)started may have been missed: every listener reads its log again.
  feed_->on_started([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->wake_all();
  });
  auto const cfg = current_config();
  queue::outbox_settings settings{"webchat", outbox_.takeover_after, outbox_.block, std::chrono::milliseconds(1000),
                                  std::chrono::milliseconds(60'000)};
  auto sender = std::make_shared<queue::outbox_worker>(
      sender_redis_, workflow_, std::move(settings), clock_,
      [weak = weak_from_this()](outbox_entry const& e, delivery_done done) {
        if (auto self = weak.lock()) return self->deliver(e, std::move(done));
        done({delivery_outcome::kind::store_unavailable, "stopping"});
      },
      outbox_log("webchat", stats_));
  {
    std::lock_guard lock(mutex_);  // set_enabled may run on a Redis strand
    sender->set_held(!enabled_);
    sender_ = sender;
  }
  sender->start();
  ping_listeners();
}

std::vector<std::shared_ptr<chat_listener>> chat_service::live_listeners() const {
  std::vector<std::shared_ptr<chat_listener>> all;
  std::lock_guard lock(mutex_);
  for (auto const& [_, l] : listeners_)
    if (auto p = l.second.lock()) all.push_back(std::move(p));
  return all;
}

void chat_service::wake_all() {
  auto const all = live_listeners();
  for (auto const& l : all) l->wake();
}

void chat_service::ping_listeners() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
  }
  for (auto const& l : live_listeners()) l->ping();
  ping_timer_.expires_after(current_config()->ping_interval);
  ping_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->ping_listeners();
  });
}

void chat_service::stop() {
  feed_->unsubscribe(subscription_);
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  for (auto const& l : live_listeners()) l->going_away();
  if (sender_) sender_->stop();
}

void chat_service::create_session(std::string lang, std::string name, std::vector<resident_need> needs, std::string page,
                                  std::function<void(boost::system::error_code, new_session)> done) {
  auto const cfg = current_config();
  auto const now = clock_();
  new_session s;
  s.token = random_token();
  s.session.conversation_id = ids_.ulid(now);
  s.session.case_id = ids_.ulid(now);
  s.session.reference = ids_.case_reference();
  s.session.lang = lang;
  s.session.name = std::move(name);
  s.session.page = std::move(page);
  nlohmann::json n = nlohmann::json::array();
  for (auto need : needs) n.push_back(std::string(to_string(need)));
  s.session.needs = n.dump();
  s.session.expires_ms = (now + std::chrono::duration_cast<std::chrono::milliseconds>(cfg->session_ttl)).time_since_epoch().count();
  s.expires_in = cfg->session_ttl;
  store_.create_session(sha256_hex(s.token), s.session, cfg->session_ttl,
                        [s, done = std::move(done)](boost::system::error_code ec) { done(ec, s); });
}

void chat_service::authenticate(std::string const& token,
                                std::function<void(boost::system::error_code, std::optional<queue::chat_session>, bool)> done) {
  store_.find_session(sha256_hex(token), [this, done = std::move(done)](boost::system::error_code ec, std::optional<queue::chat_session> s) {
    if (ec || !s) return done(ec, std::nullopt, false);
    bool const expired = s->expires_ms <= clock_().time_since_epoch().count();
    done({}, std::move(s), expired);
  });
}

void chat_service::extend(std::string const& token, std::function<void(boost::system::error_code, extension)> done) {
  auto const ttl = current_config()->session_ttl;
  auto const now = clock_();
  auto const until = now + std::chrono::duration_cast<std::chrono::milliseconds>(ttl);
  store_.extend_session(sha256_hex(token), now.time_since_epoch().count(), until.time_since_epoch().count(), ttl,
                        [until, ttl, done = std::move(done)](boost::system::error_code ec, bool extended) {
                          if (ec) return done(ec, {});
                          if (!extended) return done(queue::errc::session_ended, {});
                          done({}, extension{until, ttl});
                        });
}

void chat_service::send(queue::chat_session const& s, std::string const& token, std::string const& client_id, std::string const& text,
                        submit_handler done) {
  auto const now = clock_();
  case_message m;
  m.id = ids_.ulid(now);
  m.case_id = s.case_id;
  m.reference = s.reference;
  m.direction = direction::inbound;
  m.channel = channel::webchat;
  m.provider = "balie-webchat";
  m.provider_message_id = client_id;
  m.occurred_at = m.received_at = now;
  if (!s.name.empty()) m.resident.name = s.name;
  m.resident.addresses = {{"webchat", s.conversation_id}};
  m.resident.language = language_code(s.lang);
  m.resident.identity_assurance = "none";
  if (!s.page.empty()) m.addressed_to = s.page;
  auto const needs = nlohmann::json::parse(s.needs, nullptr, false);
  if (needs.is_array())
    for (auto const& n : needs)
      if (auto need = n.is_string() ? resident_need_from(n.get<std::string>()) : std::nullopt) m.resident.needs.push_back(*need);
  m.subject = "Chatgesprek";
  m.text = text;
  m.classification.possible_bsn = contains_possible_bsn(m.text);
  m.classification.confidential = m.classification.possible_bsn;
  submit_options options;
  options.conversation = s.conversation_id;
  auto dedup_key = "webchat:" + s.conversation_id + ":" + client_id;
  // Activity keeps the session alive; a session that has ended takes no more messages.
  extend(token, [this, s, m = std::move(m), dedup_key = std::move(dedup_key), options = std::move(options),
                 done = std::move(done)](boost::system::error_code ec, extension) mutable {
    if (ec) return done(ec, {});
    sink_.submit(std::move(m), std::move(dedup_key),
                 [self = shared_from_this(), s, done = std::move(done)](boost::system::error_code ec, submit_result r) {
                   if (!ec && r.status == submit_status::stored && r.created) self->acknowledge(s, r);
                   done(ec, std::move(r));
                 },
                 std::move(options));
  });
}

void chat_service::set_acknowledgements(channels::acknowledgement_writer write, channels::automatic_limit limit) {
  write_acknowledgement_ = std::move(write);
  automatic_ = limit;
}

// The first message of a new case: the reference, the answer-by day and the human route, shown in
// the chat as a message from the municipality's system (not from a member of staff).
void chat_service::acknowledge(queue::chat_session const& s, submit_result const& stored) {
  auto const cfg = current_config();
  if (!write_acknowledgement_ || !stored.answer_by || !cfg->acknowledge) return;
  channels::acknowledgement_request req;
  req.form = channels::acknowledgement_form::short_text;
  req.language = s.lang == "en" ? "en" : "nl";
  req.reference = stored.reference;
  req.answer_by = stored.answer_by;
  req.outside_hours = stored.outside_hours;
  auto const written = write_acknowledgement_(req);
  auto const now = clock_();
  auto m = channels::automatic_message(stored, channel::webchat, written.text, written.rule, now, ids_.ulid(now));
  m.resident.addresses = {{"webchat", s.conversation_id}};
  m.resident.language = language_code(s.lang);
  auto const message = to_json(m);
  queue::automatic_request req_out{stored.case_id, m.id, "webchat", message.dump(), message["delivery"].dump(),
                                   queue::keys::chat_conversation(s.conversation_id) + ":auto", automatic_.limit, automatic_.period};
  workflow_.queue_automatic(req_out, [case_id = stored.case_id](boost::system::error_code ec, queue::action_result r) {
    if (ec) log::warn("webchat.acknowledgement_not_queued", {{"case_id", case_id}, {"error", ec.message()}});
    else if (r.status == queue::action_status::limited) log::info("webchat.acknowledgement_limited", {{"case_id", case_id}});
  });
}

void chat_service::read_log(std::string const& conversation_id, std::int64_t after_seq, std::size_t limit,
                            std::function<void(boost::system::error_code, std::vector<webchat::conversation_entry>, std::int64_t)> done) {
  store_.read_log(conversation_id, after_seq, limit, std::move(done));
}

void chat_service::delivered(std::string const& case_id, std::string const& message_id) {
  queue::delivery_update u{case_id, message_id, "delivered", 1, "", format_rfc3339(clock_())};
  workflow_.report_delivery(u, [](boost::system::error_code, queue::action_result) {});
}

std::uint64_t chat_service::attach(std::string const& conversation_id, std::weak_ptr<chat_listener> l) {
  std::lock_guard lock(mutex_);
  auto const id = next_listener_++;
  listeners_.emplace(conversation_id, std::pair{id, std::move(l)});
  return id;
}

void chat_service::detach(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  for (auto it = listeners_.begin(); it != listeners_.end(); ++it)
    if (it->second.first == id) return void(listeners_.erase(it));
}

bool chat_service::admit(std::string const& address) {
  auto const cfg = current_config();
  std::lock_guard lock(mutex_);
  if (stopped_ || connections_ >= cfg->max_connections) return false;
  auto& a = per_address_[address];
  if (a.connections >= cfg->max_connections_per_address) return false;
  ++a.connections, ++connections_;
  return true;
}

void chat_service::release(std::string const& address) {
  std::lock_guard lock(mutex_);
  --connections_;
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second.connections == 0) per_address_.erase(it);
}

bool chat_service::allow_message(std::string const& address) {
  auto const cfg = current_config();
  std::lock_guard lock(mutex_);
  auto& a = per_address_[address];
  if (!a.messages) a.messages.emplace(cfg->address_messages_per_second, cfg->address_message_burst);
  return a.messages->take(std::chrono::steady_clock::now());
}

std::size_t chat_service::listeners() const {
  std::lock_guard lock(mutex_);
  return listeners_.size();
}

void chat_service::on_event(queue::live_event const& e) {
  if (e.field("type") == "case.closed") {
    auto const all = live_listeners();
    for (auto const& l : all) l->case_closed(e.field("case_id"));
    return;
  }
  if (e.field("type") != "chat.message") return;
  std::vector<std::shared_ptr<chat_listener>> wake;
  {
    std::lock_guard lock(mutex_);
    auto [from, to] = listeners_.equal_range(e.field("conversation_id"));
    for (auto it = from; it != to; ++it)
      if (auto l = it->second.second.lock()) wake.push_back(std::move(l));
  }
  for (auto const& l : wake) l->wake();
}

// The web-chat sender, for the outbox worker: a reply goes into its conversation's
// log (once: the store remembers the seq it got), where the resident's sockets and
// streams pick it up; it is `sent` then, and `delivered` once a resident's screen shows it.
void chat_service::deliver(outbox_entry const& e, delivery_done done) {
  auto const parsed = nlohmann::json::parse(e.msg, nullptr, false);
  std::optional<case_message> msg;
  if (!parsed.is_discarded())
    if (auto m = case_message_from_json(parsed)) msg = std::move(*m);
  std::string conversation;
  if (msg)
    for (auto const& a : msg->resident.addresses)
      if (a.kind == "webchat") conversation = a.value;
  if (conversation.empty()) return done({delivery_outcome::kind::failed, "no web-chat conversation"});
  // Balie's own messages (the acknowledgement) are the system's, never presented as a person's.
  webchat::conversation_entry entry{0, e.message_id, msg->auto_generated ? "system" : "staff", msg->text, format_rfc3339(msg->occurred_at)};
  store_.append_staff(conversation, e.case_id, entry, [self = shared_from_this(), e, done](boost::system::error_code ec, std::int64_t) {
    delivery_outcome const unavailable{delivery_outcome::kind::store_unavailable, "the chat store is unavailable"};
    if (ec) return done(unavailable);
    queue::delivery_update u{e.case_id, e.message_id, "sent", e.attempts + 1, "", format_rfc3339(self->clock_())};
    self->workflow_.report_delivery(u, [done, unavailable](boost::system::error_code ec, queue::action_result) {
      done(ec ? unavailable : delivery_outcome{});
    });
  });
}

} // namespace balie::webchat
