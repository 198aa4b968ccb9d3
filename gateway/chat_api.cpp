// The web chat over plain HTTP: its state, new sessions, the history, and
// the fallback transport for networks that strip WebSocket upgrades
// (server-sent events with the same sequence numbers, and POST for sending),
// plus "leave a message" for when the chat is closed. Browser requests must
// come from an allowed Origin; cross-origin ones get CORS headers for it.
// The chat session token travels in the Authorization header, never in a URL.
#include "gateway/api.hpp"

#include "channels/addresses.hpp"
#include "channels/json_fields.hpp"
#include "channels/phone/transcript.hpp"
#include "channels/text.hpp"
#include "channels/webchat/protocol.hpp"
#include "gateway/chat_service.hpp"
#include "gateway/chat_events.hpp"
#include "gateway/problem.hpp"
#include "queue/errc.hpp"
#include "gateway/staff_views.hpp"

namespace balie::gateway {
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
  auto name = webchat::clean_resident_name(*raw_name);
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

/// Browser requests from another origin must be allowed; allowed ones get CORS headers.
bool api::chat_origin_ok(http_request const& req, http_responder& respond, std::vector<std::pair<std::string, std::string>>& cors) const {
  auto const origin = req.header("origin");
  if (origin.empty()) return true;  // not a browser: nothing to forge
  if (!chat_->origin_allowed(origin)) {
    respond(problem(403, "origin-not-allowed", "This page may not use the chat."));
    return false;
  }
  cors = {{"Access-Control-Allow-Origin", origin}, {"Vary", "Origin"}};
  return true;
}

void api::chat_call(http_request const& req, http_responder respond, std::function<void(http_responder)> then) {
  std::vector<std::pair<std::string, std::string>> cors;
  if (!chat_ || !chat_origin_ok(req, respond, cors)) {
    if (!chat_) respond(problem(404, "not-found", "There is nothing at this path."));
    return;
  }
  then([respond, cors](http_response r) {
    for (auto const& h : cors) r.headers.push_back(h);
    respond(std::move(r));
  });
}

void api::chat_status_get(http_request const& req, http_responder respond) {
  chat_call(req, std::move(respond), [this](http_responder respond) {
    auto const s = chat_->status();
    respond(json_response(200, {{"open", s.open}, {"notice", s.notice.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.notice)}}));
  });
}

void api::chat_session_post(http_request const& req, http_responder respond) {
  chat_call(req, std::move(respond), [this, req](http_responder respond) {
    auto const j = read_body(req, respond, true);
    if (!j) return;
    auto details = read_resident_details(*j);
    if (!details) return respond(refused("The chat cannot start with these details.", details.error()));
    if (!chat_->status().open)
      return respond(unavailable("chat-closed", "The chat is closed now. Leave a message instead.", retry_after_channel_off));
    if (over_limit(*limiter(&api::session_limit_), req, respond)) return;
    chat_->create_session(details->lang, details->name, details->needs, [respond](boost::system::error_code ec, chat_service::new_session s) {
      if (ec) return respond(store_unavailable());
      respond(json_response(201, {{"token", s.token},
                                  {"conversation_id", s.session.conversation_id},
                                  {"expires_at", format_rfc3339(timestamp{std::chrono::milliseconds{s.session.expires_ms}})},
                                  {"expires_in", s.expires_in.count()}}));
    });
  });
}

std::shared_ptr<address_limiter> api::limiter(std::shared_ptr<address_limiter> api::*which) const {
  std::lock_guard lock(mutex_);
  return this->*which;
}

void api::chat_session_extend(http_request const& req, http_responder respond) {
  with_chat_session(req, std::move(respond), [this](queue::chat_session, std::string token, http_responder respond) {
    chat_->extend(token, [respond](boost::system::error_code ec, chat_service::extension e) {
      if (ec == queue::errc::session_ended) return respond(session_ended());
      if (ec) return respond(store_unavailable());
      respond(json_response(200, {{"expires_at", format_rfc3339(e.until)}, {"expires_in", e.ttl.count()}}));
    });
  });
}

void api::with_chat_session(http_request const& req, http_responder respond,
                            std::function<void(queue::chat_session, std::string token, http_responder)> then) {
  chat_call(req, std::move(respond), [this, req, then = std::move(then)](http_responder respond) {
    if (guessing(req, respond)) return;
    auto const token = bearer_token(req);
    if (!token) return unauthorized(req, respond, "Send the chat session token: 'Authorization: Bearer <token>'.");
    chat_->authenticate(*token, [this, req, token = *token, respond, then](boost::system::error_code ec, std::optional<queue::chat_session> s,
                                                                           bool expired) mutable {
      if (ec) return respond(store_unavailable());
      if (!s) return unauthorized(req, respond, "This chat session does not exist. Start a new one.");
      if (expired) return respond(session_ended());
      then(std::move(*s), token, respond);
    });
  });
}

void api::chat_history_get(http_request const& req, http_responder respond) {
  with_chat_session(req, std::move(respond), [this](queue::chat_session s, std::string, http_responder respond) {
    chat_->read_log(s.conversation_id, 0, max_history_entries,
                    [this, s, respond](boost::system::error_code ec, std::vector<webchat::conversation_entry> entries, std::int64_t last) {
                      if (ec) return respond(store_unavailable());
                      // Up to 1,000 entries to JSON: not on the Redis strand that answered.
                      off_strand([s, respond, entries = std::move(entries), last] {
                        nlohmann::json list = nlohmann::json::array();
                        for (auto const& e : entries) list.push_back(webchat::entry_json(e));
                        respond(json_response(200, {{"conversation_id", s.conversation_id}, {"messages", list}, {"last_seq", last}}));
                      });
                    });
  });
}

void api::chat_message_post(http_request const& req, http_responder respond) {
  with_chat_session(req, std::move(respond), [this, req](queue::chat_session s, std::string token, http_responder respond) {
    auto const j = read_body(req, respond);
    if (!j) return;
    auto client_id = json_fields::string_or(*j, "client_id", "");
    if (!client_id) return respond(refused("The message cannot be sent.", client_id.error()));
    if (!webchat::valid_client_id(*client_id))
      return respond(invalid("The message needs a client_id.", "client_id", "1-64 letters, digits, '-' or '_'"));
    auto raw = json_fields::required_string(*j, "text");
    if (!raw) return respond(invalid("The message needs a text.", "text", "must be a string"));
    // The fallback transport shares the socket's per-address message budget.
    if (!chat_->allow_message(req.remote_address)) {
      auto r = problem(429, "rate-limited", "You are sending messages too fast. Wait a moment.");
      r.headers.emplace_back("Retry-After", "5");
      return respond(std::move(r));
    }
    auto text = webchat::clean_resident_text(*raw);
    if (!text) return respond(invalid("The message cannot be sent.", "text", text.error().detail));
    chat_->send(s, token, *client_id, *text, [respond, client_id = *client_id](boost::system::error_code ec, submit_result r) {
      if (ec == queue::errc::session_ended) return respond(session_ended());
      if (ec) return respond(store_unavailable());
      respond(json_response(202, {{"client_id", client_id}, {"seq", r.seq}, {"message_id", r.message_id}}));
    });
  });
}

void api::chat_leave_message_post(http_request const& req, http_responder respond) {
  chat_call(req, std::move(respond), [this, req](http_responder respond) {
    auto const j = read_body(req, respond);
    if (!j) return;
    auto raw = json_fields::required_string(*j, "text");
    if (!raw) return respond(invalid("Write your message.", "text", "must not be empty"));
    auto text = webchat::clean_resident_text(*raw);
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
      auto number = channels::phone::normalise_caller_number(address);
      if (!number || !*number || !is_e164(**number))
        return respond(invalid("Check your mobile number.", "reply.address", "not a valid mobile number"));
      address = **number, kind = "phone";
    } else {
      return respond(invalid("Choose how you want the answer.", "reply.channel", "must be email or sms"));
    }
    auto details = read_resident_details(*j);
    if (!details) return respond(refused("The message cannot be sent with these details.", details.error()));
    if (over_limit(*limiter(&api::leave_message_limit_), req, respond)) return;

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
    // The dedup key is read before the message is moved: argument evaluation order is unspecified.
    auto dedup_key = "webchat-form:" + m.id;
    sink_.submit(std::move(m), std::move(dedup_key), [respond](boost::system::error_code ec, submit_result r) {
      if (ec) return respond(store_unavailable());
      respond(json_response(202, {{"reference", r.reference}}));
    });
  });
}

void api::chat_events_get(http_request const& req, http_responder respond) {
  with_chat_session(req, std::move(respond), [this, req](queue::chat_session s, std::string token, http_responder respond) {
    std::int64_t after = 0;
    if (auto const last = req.header("last-event-id"); !last.empty()) {
      auto const n = webchat::parse_seq(last);
      if (!n) return respond(problem(400, "invalid-header", "Last-Event-ID must be a sequence number from this stream.", "Last-Event-ID"));
      after = *n;
    }
    respond(open_chat_events(chat_, s, std::move(token), after, req.remote_address));
  });
}

void api::chat_ws_plain(http_request const&, http_responder respond) {
  auto r = problem(426, "upgrade-required", "Open this address as a WebSocket.");
  r.headers.emplace_back("Upgrade", "websocket");
  respond(std::move(r));
}

void api::chat_preflight(http_request const& req, http_responder respond) {
  chat_call(req, std::move(respond), [](http_responder respond) {
    http_response r;
    r.status = 204;
    r.headers = {{"Access-Control-Allow-Methods", "GET, POST"},
                 {"Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID"},
                 {"Access-Control-Max-Age", "600"}};
    respond(std::move(r));
  });
}

} // namespace balie::gateway
