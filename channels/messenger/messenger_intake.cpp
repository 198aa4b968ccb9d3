#include "channels/messenger/messenger_intake.hpp"

#include "channels/automatic_message.hpp"
#include "channels/awaited.hpp"
#include "channels/bsn.hpp"
#include "channels/ids.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/messenger/cm_whatsapp.hpp"
#include "channels/messenger/matrix_api.hpp"
#include "channels/messenger/matrix_events.hpp"
#include "channels/messenger/media_fetch.hpp"
#include "channels/attachment_store.hpp"
#include "channels/messenger/twilio_whatsapp.hpp"
#include "channels/messenger/whatsapp_webhook.hpp"
#include "channels/resident_texts.hpp"
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/problem.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>

namespace balie::messenger {
using namespace server;
namespace asio = boost::asio;
using boost::system::error_code;
namespace {

constexpr std::string_view whatsapp_path = "/api/v1/webhooks/messenger/whatsapp";
constexpr std::string_view cm_path = "/api/v1/webhooks/messenger/cm/";
constexpr std::string_view twilio_path = "/api/v1/webhooks/messenger/twilio";
/// A homeserver retries a failed transaction for days; a completed one is remembered longer than that.
constexpr std::chrono::seconds transaction_ttl{30 * 24 * 3600};
constexpr std::size_t max_txn_id = 255;

http_response matrix_error(unsigned status, std::string_view errcode, std::string_view error) {
  return json_response(status, {{"errcode", errcode}, {"error", error}});
}

std::string dedup_key(std::string const& platform, std::string const& id) { return "messenger:" + platform + ":" + id; }

/// Bounded and plain, for a log field: a type name from the platform.
std::string loggable(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '?';
  return s.substr(0, 40);
}

} // namespace

messenger_intake::messenger_intake(messenger_config config, channels::channel_services& s, queue::messenger_contacts contacts,
                                   platform_caller call)
    : config_(std::move(config)), services_(s), contacts_(std::move(contacts)), call_(std::move(call)) {
  if (config_.whatsapp.configured) whatsapp_ = std::make_unique<platform_state>(config_.whatsapp.enabled, config_.per_second, config_.burst);
  cm_sources_ = server::trusted_proxies(config_.whatsapp.cm.allowed_sources);  // checked when the configuration was read
  if (config_.matrix.configured) matrix_ = std::make_unique<platform_state>(config_.matrix.enabled, config_.per_second, config_.burst);
}

std::vector<http_route> messenger_intake::routes() {
  std::vector<http_route> out;
  if (whatsapp_ && config_.whatsapp.cloud) {
    out.push_back({"GET", std::string(whatsapp_path), access::anyone,
                   [this](http_request const& q, route_params const&, http_responder r) { whatsapp_handshake(q, std::move(r)); }});
    out.push_back({"POST", std::string(whatsapp_path), access::anyone,
                   [this](http_request const& q, route_params const&, http_responder r) { whatsapp_post(q, std::move(r)); }});
  }
  // A provider that posts messages and reports to one URL is given two: each is read as what it is.
  if (whatsapp_ && config_.whatsapp.cm.configured) {
    out.push_back({"POST", std::string(cm_path) + "{secret}", access::anyone,
                   [this](http_request const& q, route_params const& p, http_responder r) { cm_post(q, p[0], false, std::move(r)); }});
    out.push_back({"POST", std::string(cm_path) + "{secret}/status", access::anyone,
                   [this](http_request const& q, route_params const& p, http_responder r) { cm_post(q, p[0], true, std::move(r)); }});
  }
  if (whatsapp_ && config_.whatsapp.twilio.configured) {
    out.push_back({"POST", std::string(twilio_path), access::anyone,
                   [this](http_request const& q, route_params const&, http_responder r) { twilio_post(q, false, std::move(r)); }});
    out.push_back({"POST", std::string(twilio_path) + "/status", access::anyone,
                   [this](http_request const& q, route_params const&, http_responder r) { twilio_post(q, true, std::move(r)); }});
  }
  if (matrix_) {
    auto const push = [this](http_request const& q, route_params const& p, http_responder r) { matrix_push(q, p[0], std::move(r)); };
    out.push_back({"PUT", "/_matrix/app/v1/transactions/{txn}", access::anyone, push});
    out.push_back({"PUT", "/transactions/{txn}", access::anyone, push});  // homeservers before the v1 prefix
  }
  return out;
}

void messenger_intake::set_enabled(bool on, channels::channel_notice notice) {
  std::lock_guard lock(notice_mutex_);
  notice_ = std::move(notice);
  enabled_ = on;
}

void messenger_intake::set_platform_enabled(std::string_view name, bool on) {
  if (auto* p = platform(name)) p->on = on;
}

messenger_intake::platform_state* messenger_intake::platform(std::string_view name) {
  return name == "whatsapp" ? whatsapp_.get() : name == "matrix" ? matrix_.get() : nullptr;
}

void messenger_intake::refuse(std::string const& name, http_responder& respond, unsigned status, std::string const& type,
                              std::string const& detail, std::string const& log_reason) {
  services_.stats.rejected("messenger", name, type);
  log::warn("messenger.request_refused", {{"platform", name}, {"status", std::to_string(status)}, {"reason", log_reason}});
  if (name == "matrix") return respond(matrix_error(status, status == 401 ? "M_UNAUTHORIZED" : status == 403 ? "M_FORBIDDEN" : "M_BAD_JSON", detail));
  respond(problem(status, type, detail));
}

std::optional<http_response> messenger_intake::admit(std::string const& name, platform_state* p) {
  if (!p->on) {
    services_.stats.rejected("messenger", name, "platform-switched-off");
    return unavailable("platform-switched-off", "This messenger is switched off here. Send it again later.", retry_after_channel_off);
  }
  auto const now = std::chrono::steady_clock::now();
  std::lock_guard lock(p->mutex);
  if (p->bucket.take(now)) return std::nullopt;
  auto r = problem(429, "too-many-requests", "Too many requests from this platform; send again shortly.");
  r.headers.emplace_back("Retry-After", std::to_string(p->bucket.wait_seconds(now)));
  services_.stats.rejected("messenger", name, "platform-rate");
  return r;
}

void messenger_intake::whatsapp_handshake(http_request const& req, http_responder respond) {
  if (auto no = admit("whatsapp", whatsapp_.get())) return respond(std::move(*no));  // no guessing the verify token at speed
  auto const query = channels::parse_form(req.query);
  auto const challenge = query ? verification_challenge(*query, config_.whatsapp.verify_token) : std::nullopt;
  if (!challenge) return refuse("whatsapp", respond, 403, "forbidden", "The verify token does not match.", "handshake refused");
  log::info("messenger.whatsapp_verified", {});
  http_response r;
  r.content_type = "text/plain";
  r.body = *challenge;
  respond(std::move(r));
}

void messenger_intake::whatsapp_post(http_request const& req, http_responder respond) {
  if (auto no = admit("whatsapp", whatsapp_.get())) return respond(std::move(*no));
  // Over the bytes as received, before anything is read from them.
  auto const signature = req.header("x-hub-signature-256");
  if (signature.empty()) return refuse("whatsapp", respond, 401, "unauthenticated", "The request is not signed.", "no X-Hub-Signature-256");
  if (auto const ok = channels::verify_meta(config_.whatsapp.app_secret, req.body, signature); !ok)
    return refuse("whatsapp", respond, 401, "unauthenticated", "The request's signature could not be verified.", ok.error().reason);
  auto read = read_whatsapp(req.body);
  if (!read) return refuse("whatsapp", respond, 400, "invalid-notification", "The notification could not be read: " + read.error().reason + ".",
                           read.error().reason);
  for (auto const& type : read->ignored) {
    services_.stats.rejected("messenger", "whatsapp", "unsupported-type");
    log::info("messenger.ignored", {{"platform", "whatsapp"}, {"type", loggable(type)}});
  }
  handle_whatsapp(std::move(*read), json_response(200, nlohmann::json::object()), std::move(respond));
}

void messenger_intake::handle_whatsapp(whatsapp_notification n, http_response ok, http_responder respond) {
  asio::co_spawn(asio::make_strand(services_.ioc), take_whatsapp(shared_from_this(), std::move(n), std::move(ok), respond),
                 [respond](std::exception_ptr e) {
                   if (e) respond(unavailable("temporarily-unavailable", "The notification could not be handled right now."));
                 });
}

void messenger_intake::cm_post(http_request const& req, std::string const& secret, bool report, http_responder respond) {
  if (auto no = admit("whatsapp", whatsapp_.get())) return respond(std::move(*no));
  // CM signs nothing: the secret in the path and the address it posts from, before anything is read.
  if (!channels::same_secret(secret, config_.whatsapp.cm.path_secret))
    return refuse("whatsapp", respond, 403, "forbidden", "The request could not be verified.", "cm: wrong path secret");
  if (!cm_sources_.contains(req.remote_address))
    return refuse("whatsapp", respond, 403, "forbidden", "The request could not be verified.", "cm: not from an allowed source address");
  auto read = report ? read_cm_whatsapp_status(req.body) : read_cm_whatsapp(req.body);
  if (!read) return refuse("whatsapp", respond, 400, "invalid-notification", "The notification could not be read: " + read.error().reason + ".",
                           "cm: " + read.error().reason);
  http_response ok;
  ok.content_type = "text/plain";
  handle_whatsapp(std::move(*read), std::move(ok), std::move(respond));
}

void messenger_intake::twilio_post(http_request const& req, bool report, http_responder respond) {
  if (auto no = admit("whatsapp", whatsapp_.get())) return respond(std::move(*no));
  // The URL as Twilio called it and every posted field, before anything is read from them.
  auto const signature = req.header("x-twilio-signature");
  if (signature.empty()) return refuse("whatsapp", respond, 401, "unauthenticated", "The request is not signed.", "twilio: no X-Twilio-Signature");
  auto const form = channels::parse_form(req.body);
  if (!form) return refuse("whatsapp", respond, 403, "forbidden", "The request's signature could not be verified.", "twilio: body is not a form");
  auto const& t = config_.whatsapp.twilio;
  if (auto const ok = channels::verify_twilio(t.sha256 ? channels::twilio_hash::sha256 : channels::twilio_hash::sha1, t.auth_token,
                                              config_.public_base_url + req.target, *form, signature);
      !ok)
    return refuse("whatsapp", respond, 403, "forbidden", "The request's signature could not be verified.", "twilio: " + ok.error().reason);
  auto const query = channels::parse_form(req.query);
  auto read = report ? read_twilio_whatsapp_status(query ? *query : channels::form_fields{}, *form) : read_twilio_whatsapp(*form);
  if (!read) return refuse("whatsapp", respond, 400, "invalid-notification", "The notification could not be read: " + read.error().reason + ".",
                           "twilio: " + read.error().reason);
  // An empty TwiML answer: Twilio sends nothing back on Balie's behalf.
  http_response ok;
  ok.content_type = "text/xml";
  ok.body = R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)";
  handle_whatsapp(std::move(*read), std::move(ok), std::move(respond));
}

void messenger_intake::matrix_push(http_request const& req, std::string const& txn, http_responder respond) {
  if (auto no = admit("matrix", matrix_.get())) return respond(std::move(*no));
  auto token = bearer_token(req).value_or("");
  if (token.empty())  // homeservers before v1.4 send the token in the query
    if (auto const q = channels::parse_form(req.query))
      for (auto const& [k, v] : *q)
        if (k == "access_token") token = v;
  if (token.empty()) return refuse("matrix", respond, 401, "unauthenticated", "No homeserver token.", "no hs_token");
  if (!channels::same_secret(token, config_.matrix.hs_token)) return refuse("matrix", respond, 403, "forbidden", "Wrong homeserver token.", "wrong hs_token");
  if (txn.empty() || txn.size() > max_txn_id) return refuse("matrix", respond, 400, "invalid-transaction", "The transaction id is not valid.", "bad txn id");
  auto read = read_transaction(req.body, config_.matrix);
  if (!read) return refuse("matrix", respond, 400, "invalid-transaction", "The transaction could not be read: " + read.error().reason + ".",
                           read.error().reason);
  for (auto const& type : read->ignored) {
    services_.stats.rejected("messenger", "matrix", "unsupported-type");
    log::info("messenger.ignored", {{"platform", "matrix"}, {"type", loggable(type)}});
  }
  asio::co_spawn(asio::make_strand(services_.ioc), take_matrix(shared_from_this(), txn, std::move(*read), respond),
                 [respond](std::exception_ptr e) {
                   if (e) respond(matrix_error(503, "M_UNKNOWN", "The transaction could not be handled right now."));
                 });
}

asio::awaitable<void> messenger_intake::take_whatsapp(std::shared_ptr<messenger_intake>, whatsapp_notification n, http_response ok,
                                                      http_responder respond) {
  for (auto const& m : n.messages)
    if (!co_await take("whatsapp", m))
      co_return respond(unavailable("temporarily-unavailable", "The message could not be stored safely right now. Send it again in a moment."));
  for (auto const& s : n.statuses)
    if (!co_await report(s)) co_return respond(store_unavailable());
  respond(std::move(ok));
}

asio::awaitable<void> messenger_intake::take_matrix(std::shared_ptr<messenger_intake>, std::string txn, matrix_transaction t,
                                                    http_responder respond) {
  auto const [check_failed, done_before] = co_await awaited<error_code, bool>([this, &txn](auto done) { contacts_.transaction_done(txn, std::move(done)); });
  if (check_failed) co_return respond(matrix_error(503, "M_UNKNOWN", "The store is unavailable."));
  if (done_before) {
    log::info("messenger.transaction_repeated", {{"platform", "matrix"}});
    co_return respond(json_response(200, nlohmann::json::object()));
  }
  for (auto const& room : t.invites) {
    auto const [answer] = co_await awaited<channels::outbound_answer>(
        [this, &room](auto done) { call_("matrix", matrix_join_request(config_.matrix, room), std::move(done)); });
    auto const joined = read_matrix_answer(answer);
    if (joined.outcome == send_answer::kind::accepted) {
      log::info("messenger.room_joined", {{"platform", "matrix"}});
    } else if (joined.outcome == send_answer::kind::failed) {
      log::warn("messenger.room_not_joined", {{"platform", "matrix"}, {"reason", std::string_view(joined.detail)}});  // the invite was withdrawn: nothing to wait for
    } else {
      log::warn("messenger.room_not_joined", {{"platform", "matrix"}, {"reason", std::string_view(joined.detail)}});
      co_return respond(matrix_error(503, "M_UNKNOWN", "The room could not be joined yet; send the transaction again."));
    }
  }
  for (auto const& m : t.messages)
    if (!co_await take("matrix", m)) co_return respond(matrix_error(503, "M_UNKNOWN", "The message could not be stored safely right now."));
  for (auto const& r : t.receipts) {
    auto const [ec, ref] = co_await awaited<error_code, std::optional<queue::message_ref>>(
        [this, &r](auto done) { contacts_.sent_message(r.event_id, std::move(done)); });
    if (ec) co_return respond(matrix_error(503, "M_UNKNOWN", "The store is unavailable."));
    if (!ref) continue;  // a receipt for a resident's own message, or one older than Balie remembers
    // Named, not a temporary in the co_await: GCC 12 frees such a temporary twice (see channels/awaited.hpp).
    outbound_status const read{ref->case_id, ref->message_id, r.event_id, "read", ""};
    if (!co_await report(read)) co_return respond(matrix_error(503, "M_UNKNOWN", "The store is unavailable."));
  }
  auto const [marked] = co_await awaited<error_code>([this, &txn](auto done) { contacts_.mark_transaction(txn, transaction_ttl, std::move(done)); });
  if (marked) log::warn("messenger.transaction_not_marked", {{"platform", "matrix"}});  // its events are deduplicated all the same
  respond(json_response(200, nlohmann::json::object()));
}

asio::awaitable<bool> messenger_intake::take(std::string const& platform, inbound_message const& in) {
  auto const now = services_.clock();
  bool const while_off = !enabled_;
  case_message m;
  m.id = services_.ids.ulid(now);
  m.case_id = services_.ids.ulid(now);
  m.reference = services_.ids.case_reference();
  m.direction = direction::inbound;
  m.channel = channel::messenger;
  m.provider = in.via.empty() ? platform : platform + "-" + in.via;  // whatsapp-cm, whatsapp-twilio
  auto const key = dedup_key(m.provider, in.id);
  m.provider_message_id = in.id;
  m.occurred_at = in.sent_at.value_or(now);
  m.received_at = now;
  if (!in.name.empty()) m.resident.name = in.name;
  m.resident.addresses.push_back({platform, in.from});
  m.text = in.text;
  if (!in.media_type.empty() && !co_await fetch_file(platform, in, m)) co_return false;
  if (in.kind != message_kind::message) {
    m.parse_warnings.push_back(in.kind == message_kind::edit ? "messenger-edit" : "messenger-redaction");
    if (in.kind == message_kind::redaction) m.text = "De bewoner heeft een eerder bericht ingetrokken. Het bericht zelf blijft hier bewaard.";
    auto const [ec, original] = co_await awaited<error_code, std::optional<queue::message_ref>>(
        [this, &platform, &in](auto done) { contacts_.stored_message(dedup_key(platform, in.changes), std::move(done)); });
    if (ec) co_return false;
    if (original) m.in_reply_to = original->message_id;
  }
  m.classification.possible_bsn = contains_possible_bsn(m.text);
  m.classification.confidential = m.classification.possible_bsn;
  m.received_while_off = while_off;
  thread_hints thread;
  thread.participant = in.from;
  thread.recent_number = in.from;
  thread.recent_window = config_.thread_window;
  submit_options options;
  options.inbox = config_.inbox;
  options.thread = std::move(thread);
  auto const [ec, stored] = co_await awaited<error_code, submit_result>([this, &m, &key, &options](auto done) {
    services_.sink.submit(std::move(m), key, std::move(done), std::move(options));
  });
  if (ec) co_return false;
  if (stored.joined) log::info("messenger.threaded", {{"case_id", stored.case_id}, {"message_id", stored.message_id}});
  auto const at = std::chrono::duration_cast<std::chrono::milliseconds>(std::min(in.sent_at.value_or(now), now).time_since_epoch()).count();
  auto const [noted] = co_await awaited<error_code>([this, &in, at](auto done) { contacts_.note_inbound(in.from, at, in.room, std::move(done)); });
  if (noted) co_return false;
  if (in.kind == message_kind::message) co_await follow_up(platform, in, stored, while_off);
  co_return true;
}

// The privacy notice on a first WhatsApp contact, then the acknowledgement of a new case. Neither
// is a reason to take the message again: it is durable.
asio::awaitable<void> messenger_intake::follow_up(std::string const& platform, inbound_message const& in, submit_result const& r, bool while_off) {
  auto const texts = services_.texts;
  if (!texts || r.status == submit_status::duplicate) co_return;
  if (platform == "whatsapp") {
    auto const [ec, first] = co_await awaited<error_code, bool>([this, &in](auto done) { contacts_.first_contact(in.from, std::move(done)); });
    if (!ec && first)
      co_await awaited<>([this, &platform, &in, &r, &texts](auto done) {
        queue_automatic(platform, in.from, r, texts->text("messenger.whatsapp.privacy_notice"), "whatsapp-privacy-notice", std::move(done));
      });
  }
  if (!r.answer_by || (!while_off && !r.created)) co_return;
  std::optional<std::string> notice;
  if (while_off) {
    std::lock_guard lock(notice_mutex_);
    notice = notice_.nl.empty() ? texts->text("messenger.switched_off.notice") : notice_.nl;
  }
  auto const written = services_.acknowledgement(channels::short_acknowledgement(r, std::move(notice)));
  co_await awaited<>([this, &platform, &in, &r, &written](auto done) { queue_automatic(platform, in.from, r, written.text, written.rule, std::move(done)); });
}

asio::awaitable<bool> messenger_intake::fetch_file(std::string const& platform, inbound_message const& in, case_message& m) {
  using k = media_answer::kind;
  auto const max = config_.max_file_bytes;
  auto const call = [this, &platform](channels::outbound_request const& r) {
    return awaited<channels::outbound_answer>([this, &platform, &r](auto done) { call_(platform, r, std::move(done)); });
  };
  media_answer answer{k::failed, "no file reference"};
  channels::outbound_answer file;
  if (platform == "whatsapp" && !in.media_ref.empty()) {
    auto const info_request = whatsapp_media_info_request(config_.whatsapp, in.media_ref);
    auto const [info] = co_await call(info_request);
    auto const where = read_whatsapp_media_info(info, max);
    answer = where.answer;
    if (answer.outcome == k::ok) {
      auto const download = whatsapp_media_request(config_.whatsapp, where.url, max);
      std::tie(file) = co_await call(download);
      answer = read_media(file);
    }
  } else if (platform == "matrix") {
    if (auto const request = matrix_media_request(config_.matrix, in.media_ref, max)) {
      std::tie(file) = co_await call(*request);
      answer = read_media(file);
    }
  }
  if (answer.outcome == k::retry) {
    log::warn("messenger.file_not_fetched", {{"platform", platform}, {"reason", answer.detail}, {"retry", "true"}});
    co_return false;
  }
  if (answer.outcome != k::ok) {
    log::warn("messenger.file_not_fetched", {{"platform", platform}, {"reason", answer.detail}});
    m.parse_warnings.push_back(answer.outcome == k::too_large ? "file-too-large" : "file-not-fetched");
    co_return true;
  }
  // Written and fsynced before the message is stored, off the network threads.
  auto const stored = co_await awaited_on(services_.file_work, [this, &file]() -> std::optional<channels::stored_file> {
    try {
      return channels::attachment_store(config_.attachment_dir).put(file.body);
    } catch (std::exception const&) {
      return std::nullopt;
    }
  });
  if (!stored) {
    log::warn("messenger.file_not_kept", {{"platform", platform}});
    co_return false;  // the disk refused: the platform sends it again
  }
  auto name = in.filename.empty() ? "bestand-" + in.media_type : in.filename;
  m.attachments.push_back({std::move(name), in.media_mime.empty() ? "application/octet-stream" : in.media_mime, file.body.size(), stored->sha256,
                           stored->ref});
  co_return true;
}

asio::awaitable<bool> messenger_intake::report(outbound_status const& s) {
  if (s.case_id.empty()) co_return true;  // not Balie's message: answered all the same, or the platform sends it for days
  queue::delivery_update const u{s.case_id, s.message_id, s.status, queue::attempts_unchanged, s.status == "failed" ? s.detail : "",
                                 format_rfc3339(services_.clock())};
  auto const [ec, r] = co_await awaited<error_code, queue::action_result>([this, &u](auto done) { services_.workflow.report_delivery(u, std::move(done)); });
  if (ec) co_return false;
  if (r.status == queue::action_status::done) log::info("messenger.delivery_report", {{"case_id", u.case_id}, {"message_id", u.message_id}, {"status", u.status}});
  co_return true;
}

// An automatic message in the case's outbox, marked so that it leaves while the channel is off.
void messenger_intake::queue_automatic(std::string const& platform, std::string const& address, submit_result const& stored,
                                       std::string const& text, std::string const& rule, std::function<void()> then) {
  auto const now = services_.clock();
  auto m = channels::automatic_message(stored, channel::messenger, text, rule, now, services_.ids.ulid(now));
  m.resident.addresses.push_back({platform, address});
  auto const message = to_json(m);
  queue::automatic_request req{stored.case_id, m.id, "messenger", message.dump(), message["delivery"].dump(), queue::keys::sms_automatic(address),
                               services_.automatic.limit, services_.automatic.period};
  services_.workflow.queue_automatic(req, [then = std::move(then), case_id = stored.case_id, rule](error_code ec, queue::action_result r) {
    if (ec) log::warn("messenger.automatic_not_queued", {{"case_id", case_id}, {"rule", rule}, {"error", ec.message()}});
    else if (r.status == queue::action_status::limited) log::info("messenger.automatic_limited", {{"case_id", case_id}, {"rule", rule}});
    then();
  });
}

} // namespace balie::messenger
