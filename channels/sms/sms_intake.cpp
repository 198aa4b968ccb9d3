#include "channels/sms/sms_intake.hpp"

#include "channels/automatic_message.hpp"

#include "channels/bsn.hpp"
#include "channels/ids.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/resident_texts.hpp"
#include "channels/sms/delivery_reports.hpp"
#include "channels/sms/keywords.hpp"
#include "channels/text.hpp"
#include "queue/case_workflow.hpp"
#include "queue/keys.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/problem.hpp"

namespace balie::sms {
using namespace server;
namespace {

/// MessageBird's JWTs live seconds; their ids are kept far longer than that.
constexpr std::chrono::seconds replay_window{3600};
constexpr std::string_view base_path = "/api/v1/webhooks/sms/";

/// Providers that send a webhook again until it is accepted (CM for up to a month): a
/// flood from one number is taken and merged, since refusing only postpones it.
bool retries_for_ever(std::string const& provider) { return provider != "twilio"; }

/// What each provider expects for "received"; Twilio reads TwiML, and an empty
/// Response sends nothing back (Kannel's sms-service likewise has max-messages 0).
http_response accepted(std::string const& provider) {
  http_response r;
  if (provider == "twilio") {
    r.content_type = "text/xml";
    r.body = R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)";
  } else {
    r.content_type = "text/plain";
  }
  return r;
}

std::chrono::system_clock::time_point wall(timestamp t) { return std::chrono::system_clock::time_point(t.time_since_epoch()); }

form_fields form_or_empty(std::string_view s) {
  auto f = parse_form(s);
  return f ? std::move(*f) : form_fields{};
}

} // namespace

sms_intake::sms_intake(sms_config config, channels::channel_services& s, queue::sms_numbers numbers)
    : config_(std::move(config)), services_(s), numbers_(std::move(numbers)),
      per_number_(config_.messages_per_number, config_.number_window) {
  for (auto const& [name, p] : config_.providers) {
    providers_[name] = std::make_unique<provider_state>(p, config_.provider_per_second, config_.provider_burst);
    providers_[name]->on = p.enabled;
  }
}

std::vector<http_route> sms_intake::routes() {
  auto const base = std::string(base_path);
  auto const reports = [this](http_request const& q, route_params const& p, http_responder r) { report(p[0], q, {}, std::move(r)); };
  return {
      {"POST", base + "{provider}/status", access::anyone, reports},
      {"GET", base + "{provider}/status", access::anyone, reports},  // Kannel calls its dlr-url with GET
      {"POST", base + "cm/{secret}/status", access::anyone,
       [this](http_request const& q, route_params const& p, http_responder r) { report("cm", q, p[0], std::move(r)); }},
      {"POST", base + "cm/{secret}", access::anyone,
       [this](http_request const& q, route_params const& p, http_responder r) { inbound("cm", q, p[0], std::move(r)); }},
      {"POST", base + "{provider}", access::anyone,
       [this](http_request const& q, route_params const& p, http_responder r) { inbound(p[0], q, {}, std::move(r)); }},
  };
}

void sms_intake::set_enabled(bool on, channels::channel_notice notice) {
  std::lock_guard lock(notice_mutex_);
  notice_ = std::move(notice);
  enabled_ = on;
}

void sms_intake::set_provider_enabled(std::string const& name, bool on) {
  if (auto* p = provider(name)) p->on = on;
}

sms_intake::provider_state* sms_intake::provider(std::string const& name) {
  auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : it->second.get();
}

void sms_intake::refuse(std::string const& name, http_responder& respond, unsigned status, std::string const& type,
                        std::string const& detail, std::string const& log_reason) {
  services_.stats.rejected("sms", name, type);
  log::warn("sms.webhook_refused", {{"provider", name}, {"status", std::to_string(status)}, {"reason", log_reason}});
  auto r = problem(status, type, detail);
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", name == "kannel" ? "Basic realm=\"balie\"" : "Signature");
  respond(std::move(r));
}

// Over the bytes as received, before anything is read from them.
boost::system::result<authenticated, sms_intake::refusal> sms_intake::authenticate(std::string const& name, provider_state& p,
                                                                                  http_request const& req,
                                                                                  std::string const& path_secret) const {
  auto const& secret = p.config.webhook_secret;
  auto const url = config_.public_base_url + req.target;
  auto const checked = [](auth_result r) -> boost::system::result<authenticated, refusal> {
    if (!r) return refusal{403, r.error().reason};
    return *r;
  };
  if (name == "twilio") {
    auto const signature = req.header("x-twilio-signature");
    if (signature.empty()) return refusal{401, "no X-Twilio-Signature"};
    auto const form = parse_form(req.body);
    if (!form) return refusal{403, "body is not a form, so the signature cannot match"};
    return checked(verify_twilio(p.config.twilio_sha256 ? twilio_hash::sha256 : twilio_hash::sha1, secret, url, *form, signature));
  }
  if (name == "bird") {
    auto const signature = req.header("messagebird-signature");
    if (signature.empty()) return refusal{401, "no messagebird-signature"};
    return checked(verify_bird(secret, url, req.body, req.header("messagebird-request-timestamp"), signature, wall(services_.clock())));
  }
  if (name == "messagebird") {
    auto const jwt = req.header("messagebird-signature-jwt");
    if (jwt.empty()) return refusal{401, "no MessageBird-Signature-JWT"};
    return checked(verify_messagebird_jwt(secret, url, req.body, jwt, wall(services_.clock())));
  }
  if (name == "cm") {
    if (!same_secret(path_secret, secret)) return refusal{403, "wrong path secret"};
    if (!p.sources.contains(req.remote_address)) return refusal{403, "not from an allowed source address"};
    return authenticated{};
  }
  // Kannel: the post-url's and dlr-url's password (http://kannel:SECRET@host/...), sent as Basic auth.
  auto const given = req.header("authorization");
  if (given.empty()) return refusal{401, "no Authorization"};
  if (!same_secret(given, "Basic " + base64_encode("kannel:" + secret))) return refusal{403, "wrong shared secret"};
  return authenticated{};
}

void sms_intake::inbound(std::string const& name, http_request const& req, std::string const& path_secret, http_responder respond) {
  auto* p = provider(name);
  if (!p) return respond(problem(404, "not-found", "No SMS provider of this name is configured here."));
  if (!p->on) {
    services_.stats.rejected("sms", name, "provider-switched-off");
    return respond(unavailable("provider-switched-off", "This SMS provider's endpoint is switched off. Send it again later.",
                               retry_after_channel_off));
  }
  auto who = authenticate(name, *p, req, path_secret);
  if (!who) return refuse(name, respond, who.error().status, who.error().status == 401 ? "unauthenticated" : "forbidden",
                          "The request's signature or secret could not be verified.", who.error().reason);

  auto read = [&]() -> read_result {
    if (name == "twilio") return read_twilio(form_or_empty(req.body));
    if (name == "bird") return read_bird(req.body);
    if (name == "messagebird") return read_messagebird(form_or_empty(req.body.empty() ? req.query : req.body));
    if (name == "cm") return read_cm(req.body);
    return read_kannel(form_or_empty(req.query), req.body);
  }();
  if (!read) return refuse(name, respond, 400, "invalid-sms", "The SMS could not be read: " + read.error().reason + ".", read.error().reason);

  auto const now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(p->mutex);
    if (!p->bucket.take(now)) {
      auto r = problem(429, "too-many-requests", "Too many webhooks from this provider; send again shortly.");
      r.headers.emplace_back("Retry-After", std::to_string(p->bucket.wait_seconds(now)));
      services_.stats.rejected("sms", name, "provider-rate");
      return respond(std::move(r));
    }
  }
  bool flooded = false;
  if (!per_number_.allow(read->from, now)) {
    if (!retries_for_ever(name)) {
      auto r = problem(429, "too-many-requests", "Too many messages from this number; send again later.");
      r.headers.emplace_back("Retry-After", std::to_string(per_number_.retry_after(read->from, now)));
      services_.stats.rejected("sms", name, "number-rate");
      return respond(std::move(r));
    }
    flooded = true;  // taken and merged into the number's case, without automatic answers
  }
  if (who->replay_key.empty()) return store(name, std::move(*read), flooded, std::move(respond));
  numbers_.first_use(name + ":" + who->replay_key, replay_window,
                     [this, name, sms = std::move(*read), flooded, respond = std::move(respond)](boost::system::error_code ec, bool first) mutable {
                       if (ec) return respond(store_unavailable());
                       if (!first) return refuse(name, respond, 403, "forbidden", "This signed request was used before.", "replayed jti");
                       store(name, std::move(sms), flooded, std::move(respond));
                     });
}

void sms_intake::store(std::string const& name, inbound_sms sms, bool flooded, http_responder respond) {
  auto const now = services_.clock();
  bool const while_off = !enabled_;
  case_message m;
  m.id = services_.ids.ulid(now);
  m.case_id = services_.ids.ulid(now);
  m.reference = services_.ids.case_reference();
  m.direction = direction::inbound;
  m.channel = channel::sms;
  m.provider = name;
  m.provider_message_id = sms.message_id;
  m.occurred_at = sms.sent_at.value_or(now);
  m.received_at = now;
  m.resident.addresses.push_back({"phone", sms.from});
  if (!sms.to.empty()) m.addressed_to = sms.to;
  m.text = sms.text;
  m.classification.possible_bsn = contains_possible_bsn(m.text);
  m.classification.confidential = m.classification.possible_bsn;
  m.received_while_off = while_off;
  thread_hints thread;
  thread.participant = sms.from;
  thread.recent_number = sms.from;
  thread.recent_window = config_.thread_window;
  submit_options options;
  options.inbox = config_.inbox;
  options.thread = std::move(thread);
  auto dedup_key = "sms:" + name + ":" + sms.message_id;
  services_.sink.submit(
      std::move(m), std::move(dedup_key),
      [this, name, sms = std::move(sms), flooded, while_off, respond = std::move(respond)](boost::system::error_code ec, submit_result r) mutable {
        if (ec) return respond(unavailable("temporarily-unavailable", "The SMS could not be stored safely right now. Send it again in a moment."));
        if (r.joined) log::info("sms.threaded", {{"case_id", r.case_id}, {"message_id", r.message_id}});
        after_store(name, sms, r, flooded, while_off, std::move(respond));
      },
      std::move(options));
}

void sms_intake::after_store(std::string const& name, inbound_sms const& sms, submit_result const& r, bool flooded, bool while_off,
                             http_responder respond) {
  auto done = [name, respond] { respond(accepted(name)); };
  auto const texts = services_.texts;
  if (auto const k = keyword_of(sms.text); k != keyword::none) {
    // Also for a duplicate: the first try may have stored the message and failed here.
    bool const out = k == keyword::opt_out;
    numbers_.change_opt_out(sms.from, out, r.case_id, format_rfc3339(services_.clock()),
                            [this, out, number = sms.from, r, texts, done, respond](boost::system::error_code ec, bool changed) {
                              if (ec) return respond(store_unavailable());
                              log::info(out ? "sms.opted_out" : "sms.opted_in", {{"case_id", r.case_id}, {"changed", changed ? "true" : "false"}});
                              if (!changed) return done();
                              queue_automatic(number, r, texts->text(out ? "sms.opt_out.confirmation" : "sms.opt_in.confirmation"),
                                              out ? "sms-opt-out-confirmation" : "sms-opt-in-confirmation", done);
                            });
    return;
  }
  if (r.status == submit_status::duplicate || flooded) return done();
  if (!r.answer_by || (!while_off && (!r.created || !config_.acknowledge))) return done();
  std::optional<std::string> notice;
  if (while_off) {
    std::lock_guard lock(notice_mutex_);
    notice = notice_.nl.empty() ? texts->text("sms.switched_off.notice") : notice_.nl;
  }
  auto const written = services_.acknowledgement(channels::short_acknowledgement(r, std::move(notice)));
  numbers_.opted_out(sms.from, [this, number = sms.from, r, written, done](boost::system::error_code ec, bool opted_out) {
    if (ec || opted_out) return done();  // the message is durable: a missing acknowledgement is no reason to take it again
    queue_automatic(number, r, written.text, written.rule, done);
  });
}

// An automatic SMS in the case's outbox, marked so that it leaves while the channel is off.
// Once queued or not, `then`: the resident's message is durable either way.
void sms_intake::queue_automatic(std::string const& number, submit_result const& stored, std::string const& text, std::string const& rule,
                                 std::function<void()> then) {
  auto const now = services_.clock();
  auto m = channels::automatic_message(stored, channel::sms, text, rule, now, services_.ids.ulid(now));
  m.resident.addresses.push_back({"phone", number});
  auto const message = to_json(m);
  queue::automatic_request req{stored.case_id, m.id, "sms", message.dump(), message["delivery"].dump(), queue::keys::sms_automatic(number),
                               services_.automatic.limit, services_.automatic.period};
  services_.workflow.queue_automatic(req, [then = std::move(then), case_id = stored.case_id, rule](boost::system::error_code ec,
                                                                                                  queue::action_result r) {
    if (ec) log::warn("sms.automatic_not_queued", {{"case_id", case_id}, {"rule", rule}, {"error", ec.message()}});
    else if (r.status == queue::action_status::limited) log::info("sms.automatic_limited", {{"case_id", case_id}, {"rule", rule}});
    then();
  });
}

void sms_intake::report(std::string const& name, http_request const& req, std::string const& path_secret, http_responder respond) {
  auto* p = provider(name);
  if (!p || (name == "cm" && path_secret.empty()))
    return respond(problem(404, "not-found", "This provider sends no delivery reports here."));
  // Reports are taken while the provider's endpoint is off: they concern SMS that already left.
  auto who = authenticate(name, *p, req, path_secret);
  if (!who) return refuse(name, respond, who.error().status, who.error().status == 401 ? "unauthenticated" : "forbidden",
                          "The request's signature or secret could not be verified.", who.error().reason);
  auto const parsed = [&]() -> report_result {
    if (name == "kannel") return read_kannel_report(form_or_empty(req.query));
    if (name == "twilio") return read_twilio_report(form_or_empty(req.query), form_or_empty(req.body));
    if (name == "bird") return read_bird_report(req.body);
    if (name == "messagebird") return read_messagebird_report(form_or_empty(req.query));
    return read_cm_report(req.body);
  }();
  if (!parsed) return refuse(name, respond, 400, "invalid-report", "The delivery report could not be read: " + parsed.error().reason + ".",
                             parsed.error().reason);
  if (parsed->status.empty()) return respond(accepted(name));
  queue::delivery_update const u{parsed->ref.case_id, parsed->ref.message_id, parsed->status, queue::attempts_unchanged,
                                 parsed->status == "failed" ? parsed->detail : "", format_rfc3339(services_.clock())};
  services_.workflow.report_delivery(u, [name, u, respond](boost::system::error_code ec, queue::action_result r) {
    if (ec) return respond(store_unavailable());
    // Unknown or older than what is known: answered all the same, or the provider sends it for days.
    if (r.status == queue::action_status::done) log::info("sms.delivery_report", {{"case_id", u.case_id}, {"message_id", u.message_id}, {"status", u.status}});
    respond(accepted(name));
  });
}

} // namespace balie::sms
