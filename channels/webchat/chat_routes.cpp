// The web chat over plain HTTP: its state, new sessions, the history, and
// the fallback transport for networks that strip WebSocket upgrades
// (server-sent events with the same sequence numbers, and POST for sending),
// plus "leave a message" for when the chat is closed. Browser requests must
// come from an allowed Origin; cross-origin ones get CORS headers for it.
// The chat session token travels in the Authorization header, never in a URL.
#include "channels/webchat/chat_routes.hpp"

#include "channels/addresses.hpp"
#include "channels/bsn.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "channels/webchat/protocol.hpp"
#include "channels/webchat/chat_service.hpp"
#include "channels/webchat/chat_events.hpp"
#include "server/problem.hpp"
#include "queue/errc.hpp"
#include "channels/inbound_sink.hpp"
#include "server/address_limits.hpp"
#include "server/failed_logins.hpp"

namespace balie::webchat {
using namespace server;
namespace {

/// Most entries one history answer carries; a conversation longer than that is not a chat.
constexpr std::size_t max_history_entries = 10'000;

http_response invalid(std::string detail, std::string const& name, std::string const& reason) {
  return invalid_request(detail, {{name, reason}});
}

/// The resident's needs in the widget's words or Balie's own.
outcome<std::vector<resident_need>> read_needs(nlohmann::json const& j) {
  auto names = json_fields::string_array(j, "needs");
  if (!names) return names.error();
  std::vector<resident_need> out;
  for (auto const& name : *names) {
    auto need = name == "screen-reader" ? std::optional(resident_need::screen_reader)
              : name == "plain-language" ? std::optional(resident_need::plain_language)
              : name == "callback" ? std::optional(resident_need::callback)
              : name == "sign-language" ? std::optional(resident_need::sign_language)
              : resident_need_from(name);
    if (!need) return reject(400, "invalid-request", "screen-reader, plain-language, callback or sign-language", "needs");
    out.push_back(*need);
  }
  return out;
}

/// The fields a new chat session and a left message share: language, name, needs.
struct resident_details {
  std::string lang;
  std::string name;
  std::vector<resident_need> needs;
};

outcome<resident_details> read_resident_details(nlohmann::json const& j) {
  auto lang = json_fields::string_or(j, "lang", "nl");
  if (!lang) return lang.error();
  if (*lang != "nl" && *lang != "en") return reject(400, "invalid-request", "must be nl or en", "lang");
  auto raw_name = json_fields::string_or(j, "name", "");
  if (!raw_name) return raw_name.error();
  auto name = clean_resident_name(*raw_name);
  if (!name) return name.error();
  auto needs = read_needs(j);
  if (!needs) return needs.error();
  return resident_details{std::move(*lang), std::move(*name), std::move(*needs)};
}

/// A JSON object body, or nullopt after answering 400.
std::optional<nlohmann::json> read_body(http_request const& req, http_responder& respond, bool empty_is_object = false) {
  auto j = nlohmann::json::parse(req.body.empty() && empty_is_object ? "{}" : req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    respond(problem(400, "invalid-json", "The request body must be a JSON object."));
    return std::nullopt;
  }
  return j;
}

http_response session_ended() { return problem(401, "session-expired", "This chat session has ended. Start a new one."); }

/// A field-level rejection as the chat endpoints answer it: 400 invalid-request naming the field.
http_response refused(std::string_view detail, rejection const& r) { return invalid(std::string(detail), r.pointer, r.detail); }

} // namespace

chat_routes::chat_routes(std::shared_ptr<chat_service> chat, inbound_sink& sink, failed_logins& logins, offload_fn offload, clock_fn clock,
                         id_source& ids, std::function<std::vector<channels::contact_point>()> other_ways)
    : chat_(std::move(chat)), other_ways_(std::move(other_ways)), sink_(sink), logins_(logins), offload_(std::move(offload)), clock_(std::move(clock)), ids_(ids) {
  set_config(*chat_->current_config());
}

void chat_routes::set_config(webchat_config const& w) {
  std::lock_guard lock(mutex_);
  // A reload that keeps the limits keeps what each address has used.
  if (!session_limit_ || limits_.sessions_per_address != w.sessions_per_address || limits_.address_window != w.address_window)
    session_limit_ = std::make_shared<address_limiter>(w.sessions_per_address, w.address_window);
  if (!leave_message_limit_ || limits_.leave_messages_per_address != w.leave_messages_per_address ||
      limits_.address_window != w.address_window)
    leave_message_limit_ = std::make_shared<address_limiter>(w.leave_messages_per_address, w.address_window);
  limits_ = w;
}

std::vector<http_route> chat_routes::routes() {
  using handler = void (chat_routes::*)(http_request const&, http_responder);
  auto route = [this](std::string method, std::string pattern, handler h) {
    return http_route{std::move(method), std::move(pattern), access::anyone,
                      [this, h](http_request const& q, route_params const&, http_responder r) { (this->*h)(q, std::move(r)); }};
  };
  std::vector<http_route> out = {
      route("GET", "/api/v1/chat/status", &chat_routes::status_get),
      route("POST", "/api/v1/chat/sessions", &chat_routes::session_post),
      route("POST", "/api/v1/chat/sessions/extend", &chat_routes::session_extend),
      route("GET", "/api/v1/chat/history", &chat_routes::history_get),
      route("POST", "/api/v1/chat/messages", &chat_routes::message_post),
      route("GET", "/api/v1/chat/events", &chat_routes::events_get),
      route("POST", "/api/v1/chat/leave-message", &chat_routes::leave_message_post),
      route("GET", "/api/v1/chat/ws", &chat_routes::ws_plain),
  };
  // Browsers ask before a cross-origin POST with a token: every chat path answers the preflight.
  auto const count = out.size();
  for (std::size_t i = 0; i < count; ++i) out.push_back(route("OPTIONS", out[i].pattern, &chat_routes::preflight));
  return out;
}

/// Browser requests from another origin must be allowed; allowed ones get CORS headers.
bool chat_routes::origin_ok(http_request const& req, http_responder& respond, std::vector<std::pair<std::string, std::string>>& cors) const {
  auto const origin = req.header("origin");
  if (origin.empty()) return true;  // not a browser: nothing to forge
  if (!chat_->origin_allowed(origin)) {
    respond(problem(403, "origin-not-allowed", "This page may not use the chat."));
    return false;
  }
  cors = {{"Access-Control-Allow-Origin", origin}, {"Vary", "Origin"}};
  return true;
}

void chat_routes::call(http_request const& req, http_responder respond, std::function<void(http_responder)> then) {
  std::vector<std::pair<std::string, std::string>> cors;
  if (!origin_ok(req, respond, cors)) return;
  then([respond, cors](http_response r) {
    for (auto const& h : cors) r.headers.push_back(h);
    respond(std::move(r));
  });
}

void chat_routes::status_get(http_request const& req, http_responder respond) {
  call(req, std::move(respond), [this](http_responder respond) {
    auto const s = chat_->status();
    auto const text_or_null = [](std::string const& t) { return t.empty() ? nlohmann::json(nullptr) : nlohmann::json(t); };
    auto ways = nlohmann::json::array();
    for (auto const& w : other_ways_ ? other_ways_() : std::vector<channels::contact_point>{})
      ways.push_back({{"kind", w.kind}, {"address", w.address}, {"href", w.href}, {"big_tech", w.big_tech}});
    respond(json_response(200, {{"open", s.open}, {"notice", text_or_null(s.notice)}, {"notice_en", text_or_null(s.notice_en)},
                                {"other_ways", std::move(ways)}}));
  });
}

void chat_routes::session_post(http_request const& req, http_responder respond) {
  call(req, std::move(respond), [this, req](http_responder respond) {
    auto const j = read_body(req, respond, true);
    if (!j) return;
    auto details = read_resident_details(*j);
    if (!details) return respond(refused("The chat cannot start with these details.", details.error()));
    if (!chat_->status().open)
      return respond(unavailable("chat-closed", "The chat is closed now. Leave a message instead.", retry_after_channel_off));
    if (over_limit(*limiter(&chat_routes::session_limit_), req, respond)) return;
    chat_->create_session(details->lang, details->name, details->needs, std::string(req.header("origin")), [respond](boost::system::error_code ec, chat_service::new_session s) {
      if (ec) return respond(store_unavailable());
      respond(json_response(201, {{"token", s.token},
                                  {"conversation_id", s.session.conversation_id},
                                  {"expires_at", format_rfc3339(timestamp{std::chrono::milliseconds{s.session.expires_ms}})},
                                  {"expires_in", s.expires_in.count()}}));
    });
  });
}

std::shared_ptr<address_limiter> chat_routes::limiter(std::shared_ptr<address_limiter> chat_routes::*which) const {
  std::lock_guard lock(mutex_);
  return this->*which;
}

void chat_routes::session_extend(http_request const& req, http_responder respond) {
  with_session(req, std::move(respond), [this](queue::chat_session, std::string token, http_responder respond) {
    chat_->extend(token, [respond](boost::system::error_code ec, chat_service::extension e) {
      if (ec == queue::errc::session_ended) return respond(session_ended());
      if (ec) return respond(store_unavailable());
      respond(json_response(200, {{"expires_at", format_rfc3339(e.until)}, {"expires_in", e.ttl.count()}}));
    });
  });
}

void chat_routes::with_session(http_request const& req, http_responder respond,
                            std::function<void(queue::chat_session, std::string token, http_responder)> then) {
  call(req, std::move(respond), [this, req, then = std::move(then)](http_responder respond) {
    if (logins_.refuse_if_guessing(req, respond)) return;
    auto const token = bearer_token(req);
    if (!token) return logins_.unauthorized(req, respond, "Send the chat session token: 'Authorization: Bearer <token>'.");
    chat_->authenticate(*token, [this, req, token = *token, respond, then](boost::system::error_code ec, std::optional<queue::chat_session> s,
                                                                           bool expired) mutable {
      if (ec) return respond(store_unavailable());
      if (!s) return logins_.unauthorized(req, respond, "This chat session does not exist. Start a new one.");
      if (expired) return respond(session_ended());
      then(std::move(*s), token, respond);
    });
  });
}

void chat_routes::history_get(http_request const& req, http_responder respond) {
  with_session(req, std::move(respond), [this](queue::chat_session s, std::string, http_responder respond) {
    chat_->read_log(s.conversation_id, 0, max_history_entries,
                    [this, s, respond](boost::system::error_code ec, std::vector<conversation_entry> entries, std::int64_t last) {
                      if (ec) return respond(store_unavailable());
                      // Up to 1,000 entries to JSON: not on the Redis strand that answered.
                      offload_([s, respond, entries = std::move(entries), last] {
                        nlohmann::json list = nlohmann::json::array();
                        for (auto const& e : entries) list.push_back(entry_json(e));
                        respond(json_response(200, {{"conversation_id", s.conversation_id}, {"messages", list}, {"last_seq", last}}));
                      });
                    });
  });
}

void chat_routes::message_post(http_request const& req, http_responder respond) {
  with_session(req, std::move(respond), [this, req](queue::chat_session s, std::string token, http_responder respond) {
    auto const j = read_body(req, respond);
    if (!j) return;
    auto client_id = json_fields::string_or(*j, "client_id", "");
    if (!client_id) return respond(refused("The message cannot be sent.", client_id.error()));
    if (!valid_client_id(*client_id))
      return respond(invalid("The message needs a client_id.", "client_id", "1-64 letters, digits, '-' or '_'"));
    auto raw = json_fields::required_string(*j, "text");
    if (!raw) return respond(invalid("The message needs a text.", "text", "must be a string"));
    // The fallback transport shares the socket's per-address message budget.
    if (!chat_->allow_message(req.remote_address)) {
      auto r = problem(429, "rate-limited", "You are sending messages too fast. Wait a moment.");
      r.headers.emplace_back("Retry-After", "5");
      return respond(std::move(r));
    }
    auto text = clean_resident_text(*raw);
    if (!text) return respond(invalid("The message cannot be sent.", "text", text.error().detail));
    chat_->send(s, token, *client_id, *text, [respond, client_id = *client_id](boost::system::error_code ec, submit_result r) {
      if (ec == queue::errc::session_ended) return respond(session_ended());
      if (ec) return respond(store_unavailable());
      respond(json_response(202, {{"client_id", client_id}, {"seq", r.seq}, {"message_id", r.message_id}}));
    });
  });
}

void chat_routes::leave_message_post(http_request const& req, http_responder respond) {
  call(req, std::move(respond), [this, req](http_responder respond) {
    auto const j = read_body(req, respond);
    if (!j) return;
    auto raw = json_fields::required_string(*j, "text");
    if (!raw) return respond(invalid("Write your message.", "text", "must not be empty"));
    auto text = clean_resident_text(*raw);
    if (!text) return respond(invalid("Write your message.", "text", text.error().detail));
    auto const reply = json_fields::optional_object(*j, "reply");
    if (!reply) return respond(refused("Choose how you want the answer.", reply.error()));
    auto const empty = nlohmann::json::object();
    auto const& r = *reply ? **reply : empty;
    auto reply_channel = json_fields::string_or(r, "channel", "", "reply");
    if (!reply_channel) return respond(refused("Choose how you want the answer.", reply_channel.error()));
    auto raw_address = json_fields::string_or(r, "address", "", "reply");
    if (!raw_address) return respond(refused("Check your address.", raw_address.error()));
    auto address = std::string(trim(*raw_address));
    std::string kind;
    if (*reply_channel == "email") {
      if (!is_valid_email_address(address)) return respond(invalid("Check your email address.", "reply.address", "not a valid email address"));
      kind = "email";
    } else if (*reply_channel == "sms") {
      auto number = read_phone_number(address);
      if (number.error != phone_number::problem::none || !is_e164(number.e164))
        return respond(invalid("Check your mobile number.", "reply.address", "not a valid mobile number"));
      address = number.e164, kind = "phone";
    } else {
      return respond(invalid("Choose how you want the answer.", "reply.channel", "must be email or sms"));
    }
    auto details = read_resident_details(*j);
    if (!details) return respond(refused("The message cannot be sent with these details.", details.error()));
    if (over_limit(*limiter(&chat_routes::leave_message_limit_), req, respond)) return;

    auto const now = clock_();
    case_message m;
    m.id = ids_.ulid(now);
    m.case_id = ids_.ulid(now);
    m.reference = ids_.case_reference();
    m.channel = channel::webchat;
    m.provider = "balie-webchat-form";
    m.provider_message_id = m.id;
    m.occurred_at = m.received_at = now;
    if (!details->name.empty()) m.resident.name = details->name;
    m.resident.addresses = {digital_address{kind, address}};
    m.resident.language = details->lang == "en" ? "eng" : "nld";
    m.resident.needs = details->needs;
    m.subject = "Bericht via de website";
    m.text = *text;
    m.classification.possible_bsn = contains_possible_bsn(m.text);
    m.classification.confidential = m.classification.possible_bsn;
    // The dedup key is read before the message is moved: argument evaluation order is unspecified.
    auto dedup_key = "webchat-form:" + m.id;
    sink_.submit(std::move(m), std::move(dedup_key), [respond](boost::system::error_code ec, submit_result r) {
      if (ec) return respond(store_unavailable());
      respond(json_response(202, {{"reference", r.reference}}));
    });
  });
}

void chat_routes::events_get(http_request const& req, http_responder respond) {
  with_session(req, std::move(respond), [this, req](queue::chat_session s, std::string token, http_responder respond) {
    std::int64_t after = 0;
    if (auto const last = req.header("last-event-id"); !last.empty()) {
      auto const n = parse_seq(last);
      if (!n) return respond(problem(400, "invalid-header", "Last-Event-ID must be a sequence number from this stream.", "Last-Event-ID"));
      after = *n;
    }
    respond(open_chat_events(chat_, s, std::move(token), after, req.remote_address));
  });
}

void chat_routes::ws_plain(http_request const&, http_responder respond) {
  auto r = problem(426, "upgrade-required", "Open this address as a WebSocket.");
  r.headers.emplace_back("Upgrade", "websocket");
  respond(std::move(r));
}

void chat_routes::preflight(http_request const& req, http_responder respond) {
  call(req, std::move(respond), [](http_responder respond) {
    http_response r;
    r.status = 204;
    r.headers = {{"Access-Control-Allow-Methods", "GET, POST"},
                 {"Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID"},
                 {"Access-Control-Max-Age", "600"}};
    respond(std::move(r));
  });
}

} // namespace balie::webchat
