// Routing of requests, authentication, and the intake endpoints. The route
// table is data, so the OpenAPI test can check that every route is
// documented. Unknown paths are 404, known paths with another method 405
// with an Allow header; both are problem+json like every other error.
#include "gateway/api.hpp"
#include "gateway/plain_language.hpp"

#include "channels/text.hpp"
#include "server/log.hpp"
#include "server/problem.hpp"
#include "gateway/health_board.hpp"
#include "gateway/switchboard.hpp"
#include "gateway/web_files.hpp"

namespace balie::gateway {
using namespace server;
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto const j = path.find('/', i);
    out.emplace_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    i = j == std::string_view::npos ? path.size() : j;
  }
  return out;
}

/// Matches a split pattern (`a`, `{x}`, `b`) against a split path; fills the parameters in order.
bool match(std::vector<std::string> const& parts, std::vector<std::string> const& path, std::vector<std::string>& params) {
  if (parts.size() != path.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].front() == '{') params.push_back(path[i]);
    else if (parts[i] != path[i]) return false;
  }
  return true;
}

} // namespace

api::api(std::shared_ptr<config const> cfg, std::shared_ptr<token_store const> tokens, api_services s)
    : tokens_(std::move(tokens)), sink_(s.sink), store_(s.store), workflow_(s.workflow), live_(std::move(s.live)),
      metrics_(s.stats), clock_(std::move(s.clock)), ids_(s.ids), offload_(std::move(s.offload)), switches_(std::move(s.switches)), routing_(std::move(s.routing)), assignment_(std::move(s.assignment)), search_(std::move(s.search)), saved_replies_(std::move(s.saved_replies)), retention_(std::move(s.retention)),
      logins_(s.logins), health_(std::move(s.health)), replies_(std::move(s.replies)), table_(build_table(std::move(s.channel_routes))) {
  set_config(std::move(cfg));
}

std::vector<api::route_entry> api::build_table(std::vector<http_route> channel_routes) {
  using me_t = std::optional<principal> const&;
  auto entry = [](std::string method, std::string pattern, access who, auto run) {
    auto parts = split_path(pattern);
    return route_entry{{std::move(method), std::move(pattern)}, who, std::move(parts), std::move(run)};
  };
  auto action_entry = [&](std::string const& name, action what) {
    return entry("POST", "/api/v1/cases/{id}/" + name, access::staff,
                 [what](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.act(q, *me, p[0], what, std::move(r)); });
  };
  std::vector<route_entry> entries = {
      entry("GET", "/healthz", access::anyone, [](api& a, auto const& q, me_t, params const&, http_responder r) { a.healthz(q, std::move(r)); }),
      entry("GET", "/readyz", access::anyone, [](api& a, auto const& q, me_t, params const&, http_responder r) { a.readyz(q, std::move(r)); }),
      entry("GET", "/metrics", access::anyone, [](api& a, auto const& q, me_t, params const&, http_responder r) { a.metrics_text(q, std::move(r)); }),
      entry("GET", "/api/v1/openapi.json", access::anyone, [](api& a, auto const& q, me_t, params const&, http_responder r) { a.openapi(q, std::move(r)); }),
      entry("GET", "/api/v1/inboxes", access::staff,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.list_inboxes(q, *me, std::move(r)); }),
      entry("GET", "/api/v1/inboxes/{inbox}/cases", access::staff,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.list_cases(q, *me, p[0], std::move(r)); }),
      entry("GET", "/api/v1/cases/{id}", access::staff,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.get_case(q, *me, p[0], std::move(r)); }),
      entry("GET", "/api/v1/cases/{id}/attachments/{sha256}", access::staff,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.get_attachment(q, *me, p[0], p[1], std::move(r)); }),
      entry("GET", "/api/v1/me", access::staff,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.who_am_i(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/me/availability", access::staff,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.set_availability(q, *me, std::move(r)); }),
      entry("GET", "/api/v1/search", access::staff,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.search(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/search", access::staff,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.search(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/residents/search", access::privacy,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.residents_search(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/residents/export", access::privacy,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.residents_export(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/residents/erase", access::privacy,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.residents_erase(q, *me, std::move(r)); }),
      entry("GET", "/api/v1/cases/{id}/retention", access::records,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.get_retention(q, *me, p[0], std::move(r)); }),
      entry("PUT", "/api/v1/cases/{id}/retention", access::records,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.put_retention(q, *me, p[0], std::move(r)); }),
      entry("GET", "/api/v1/destruction-list", access::records,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.destruction_list(q, *me, std::move(r)); }),
      entry("GET", "/api/v1/replies", access::admin,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.list_saved_replies(q, *me, std::move(r)); }),
      entry("PUT", "/api/v1/replies/{id}", access::admin,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.put_saved_reply(q, *me, p[0], std::move(r)); }),
      entry("DELETE", "/api/v1/replies/{id}", access::admin,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.delete_saved_reply(q, *me, p[0], std::move(r)); }),
      entry("GET", "/api/v1/cases/{id}/saved-replies", access::staff,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.case_saved_replies(q, *me, p[0], std::move(r)); }),
      entry("GET", "/api/v1/events", access::staff,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.events(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/cases/{id}/replies", access::staff,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.post_reply(q, *me, p[0], std::move(r)); }),
      entry("POST", "/api/v1/sms/size", access::staff,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.sms_size(q, *me, std::move(r)); }),
      entry("GET", "/api/v1/routing", access::admin,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.get_routing(q, *me, std::move(r)); }),
      entry("PUT", "/api/v1/routing", access::admin,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.put_routing(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/routing/check", access::admin,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.check_routing(q, *me, std::move(r)); }),
      entry("POST", "/api/v1/routing/test", access::admin,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.routing_test(q, *me, std::move(r)); }),
      entry("GET", "/api/v1/channels", access::admin,
            [](api& a, auto const& q, me_t me, params const&, http_responder r) { a.list_channels(q, *me, std::move(r)); }),
      entry("PUT", "/api/v1/channels/{name}", access::admin,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.switch_channel(q, *me, p[0], std::move(r)); }),
      entry("GET", "/api/v1/channels/{name}/history", access::admin,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.channel_history(q, *me, p[0], std::move(r)); }),
      // A channel's part: an SMS provider's endpoint (sms/twilio).
      entry("PUT", "/api/v1/channels/{name}/{part}", access::admin,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.switch_channel(q, *me, p[0] + "/" + p[1], std::move(r)); }),
      entry("GET", "/api/v1/channels/{name}/{part}/history", access::admin,
            [](api& a, auto const& q, me_t me, params const& p, http_responder r) { a.channel_history(q, *me, p[0] + "/" + p[1], std::move(r)); }),
      action_entry("claim", action::claim),
      action_entry("release", action::release),
      action_entry("transfer", action::transfer),
      action_entry("notes", action::note),
      action_entry("close", action::close),
      action_entry("reopen", action::reopen),
  };
  for (auto& cr : channel_routes)
    entries.push_back(entry(cr.method, cr.pattern, cr.who, [run = std::move(cr.run)](api&, auto const& q, me_t, params const& p, http_responder r) {
      run(q, p, std::move(r));
    }));
  return entries;
}

std::vector<route> api::routes() const {
  std::vector<route> out;
  for (auto const& e : table_)
    if (e.r.method != "OPTIONS") out.push_back(e.r);
  return out;
}

void api::set_config(std::shared_ptr<config const> c) {
  // Read here, at start and reload, never in a handler.
  auto jargon = std::make_shared<std::map<std::string, std::string> const>(
      c->web_root.empty() ? std::map<std::string, std::string>{} : read_jargon((c->web_root / "inbox" / "jargon-nl.json").string()));
  std::lock_guard lock(mutex_);
  config_ = std::move(c);
  jargon_ = std::move(jargon);
}

std::shared_ptr<std::map<std::string, std::string> const> api::current_jargon() const {
  std::lock_guard lock(mutex_);
  return jargon_;
}

void api::set_reply_checks(channels::reply_checks r) {
  std::lock_guard lock(mutex_);
  replies_ = std::move(r);
}

void api::set_tokens(std::shared_ptr<token_store const> t) {
  std::lock_guard lock(mutex_);
  tokens_ = std::move(t);
}

std::shared_ptr<config const> api::current_config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

http_response api::transport_error(unsigned status, std::string type, std::string detail) const {
  log::info("http.refused", {{"status", std::to_string(status)}, {"type", type}});
  return problem(status, type, detail);
}

namespace {
/// Body limits per kind of caller: a resident's chat request or a staff
/// action is small JSON; only intake of recorded calls is large (up to
/// http.max_body_bytes, which also bounds the phone channel's own limit).
constexpr std::size_t resident_body_limit = 64 * 1024;
constexpr std::size_t staff_body_limit = 1024 * 1024;
} // namespace

http_admission api::admit(http_request const& head) {
  auto const cfg = current_config();
  http_admission a{resident_body_limit, std::nullopt};
  auto const path = split_path(head.path);
  params p;
  for (auto const& e : table_) {
    if (!match(e.parts, path, p) || head.method != e.r.method) continue;
    if (e.who == access::anyone) return a;
    a.max_body_bytes = e.who == access::system ? cfg->http.max_body_bytes : staff_body_limit;
    http_responder refuse = [&a](http_response r) { a.refusal = std::move(r); };
    if (!authorise(head, e.who, refuse) && a.refusal)
      log::info("http.request", {{"method", head.method}, {"path", head.path}, {"status", std::to_string(a.refusal->status)},
                                 {"duration_us", "0"}});
    return a;
  }
  return a;  // not found or another method: handle() answers 404 or 405
}

void api::handle(http_request req, http_responder respond) {
  auto const started = std::chrono::steady_clock::now();
  // Every response gets the standard headers and one log line.
  respond = [respond = std::move(respond), method = req.method, path = req.path, started](http_response r) {
    add_standard_headers(r);
    auto const us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    log::write(r.status < 400 ? log_level::debug : log_level::info, "http.request",
               {{"method", method}, {"path", path}, {"status", std::to_string(r.status)}, {"duration_us", std::to_string(us)}});
    respond(std::move(r));
  };

  if (is_web_path(req.path)) {
    if (req.method != "GET") {
      auto r = problem(405, "method-not-allowed", "This path does not support the method " + req.method + ".");
      r.headers.emplace_back("Allow", "GET");
      return respond(std::move(r));
    }
    return respond(serve_web_file(current_config()->web_root, req.path));
  }
  auto const path = split_path(req.path);
  params p;
  std::string allow;
  for (auto const& e : table_) {
    if (!match(e.parts, path, p)) continue;
    if (req.method != e.r.method) {
      allow += allow.empty() ? e.r.method : ", " + e.r.method;
      continue;
    }
    auto const me = authorise(req, e.who, respond);
    if (e.who == access::anyone || me) e.run(*this, req, me, p, std::move(respond));
    return;
  }
  if (!allow.empty()) {
    auto r = problem(405, "method-not-allowed", "This path does not support the method " + req.method + ".");
    r.headers.emplace_back("Allow", allow);
    return respond(std::move(r));
  }
  respond(problem(404, "not-found", "There is nothing at this path."));
}

std::optional<principal> api::authorise(http_request const& req, access who, http_responder& respond) {
  if (who == access::anyone) return std::nullopt;
  std::shared_ptr<token_store const> tokens;
  {
    std::lock_guard lock(mutex_);
    tokens = tokens_;
  }
  if (logins_.refuse_if_guessing(req, respond)) return std::nullopt;
  auto const token = bearer_token(req);
  auto const me = token ? tokens->authenticate(*token) : std::nullopt;
  if (!me) {
    unauthorized(req, respond, "Send a valid token in the Authorization header: 'Bearer <token>'.");
    return std::nullopt;
  }
  auto const needed = who == access::staff     ? role::staff
                      : who == access::admin   ? role::admin
                      : who == access::privacy ? role::privacy
                      : who == access::records ? role::records
                                               : role::system;
  if (me->role != needed) {
    respond(problem(403, "forbidden", "This token may not use this endpoint."));
    return std::nullopt;
  }
  return me;
}

void api::healthz(http_request const&, http_responder respond) { respond(json_response(200, {{"status", "alive"}})); }

void api::readyz(http_request const&, http_responder respond) {
  bool const redis_ready = store_.ready();
  nlohmann::json body = {{"status", redis_ready ? "ready" : "unavailable"},
                         {"redis", {{"ready", redis_ready}}},
                         {"channels", nlohmann::json::object()}};
  for (auto const& name : switches_->channels()) {
    body["channels"][name] = switches_->enabled(name) ? "enabled" : "disabled";
    // A channel that is down leaves Balie ready: the other channels still work. No reasons here (public).
    if (auto const h = health_->get(name)) body["health"][name] = h->health.state;
  }
  // Polled sources (IMAP mailboxes): up, degraded or down; one being down leaves Balie ready.
  for (auto const& [source, state] : metrics_.health()) body["sources"][source] = state;
  // No error text: /readyz is public, and Redis errors name hosts and paths. The log has them.
  auto r = json_response(redis_ready ? 200 : 503, body);
  if (!redis_ready) r.headers.emplace_back("Retry-After", std::string(retry_after_unavailable));
  respond(std::move(r));
}

void api::metrics_text(http_request const&, http_responder respond) {
  http_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_.render();
  respond(std::move(r));
}

void api::openapi(http_request const&, http_responder respond) {
  http_response r;
  r.content_type = "application/json";
  r.body = std::string(openapi_document());
  respond(std::move(r));
}

} // namespace balie::gateway
