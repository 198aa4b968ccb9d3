// Lifecycle. Start-up order: tokens and config are already validated (they
// throw before anything listens); then the Redis connection, the intake, the
// HTTP listener and the spool. Shutdown (SIGTERM/SIGINT) runs in reverse and
// never drops an acknowledged message: stop accepting, stop the spool, let
// every enqueue already started finish (up to the deadline), let the HTTP
// sessions write those answers, then close Redis and stop. SIGHUP reloads
// the tokens, routing, channel settings and log level, and logs what changed
// and what needs a restart.
#include "gateway/daemon.hpp"

#include "gateway/acknowledgements.hpp"
#include "gateway/api.hpp"
#include "gateway/channel_registry.hpp"
#include "gateway/health_board.hpp"
#include "gateway/intake.hpp"
#include "queue/staff_assignment.hpp"
#include "queue/case_search.hpp"
#include "queue/saved_replies.hpp"
#include "gateway/search_backfill.hpp"
#include "gateway/destruction_job.hpp"
#include "gateway/privacy_backfill.hpp"
#include "queue/case_retention.hpp"
#include "gateway/live_updates.hpp"
#include "gateway/promises.hpp"
#include "queue/answer_watch.hpp"
#include "gateway/sd_notify.hpp"
#include "gateway/routing_board.hpp"
#include "gateway/switchboard.hpp"
#include "openklant/exporter.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "server/problem.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <thread>

namespace balie::gateway {
namespace asio = boost::asio;
using namespace server;
using steady = std::chrono::steady_clock;

namespace {

/// Where the destruction job finds files and the spool, and the terms, from a configuration.
destruction_settings destruction_settings_of(config const& c) {
  destruction_settings s;
  s.terms = c.retention;
  for (auto const& dir : {c.email.attachment_dir, c.messenger.attachment_dir})
    if (!dir.empty() && std::find(s.file_dirs.begin(), s.file_dirs.end(), dir) == s.file_dirs.end()) s.file_dirs.push_back(dir);
  s.spool_dir = c.phone.spool_dir;
  return s;
}
std::set<std::string> inbox_ids(config const& c) {
  std::set<std::string> ids;
  for (auto const& i : c.inboxes) ids.insert(i.id);
  return ids;
}

/// How often shutdown checks whether the in-flight work is done.
constexpr auto drain_check_interval = std::chrono::milliseconds(5);
/// Extra time for sessions to write their last answers after the drain.
constexpr auto close_grace = std::chrono::seconds(2);
/// How often each channel is asked how it is doing: a state change shows within a second.
constexpr auto health_check_interval = std::chrono::seconds(1);
/// Expired claims released per sweep; more wait for the next one.
constexpr std::size_t claim_sweep_batch = 200;
/// How often the watchdog looks for cases past their answer time, and how many it takes at once.
constexpr auto watch_interval = std::chrono::seconds(1);
constexpr std::size_t watch_sweep_batch = 200;
/// Runs `f`. An exception that escapes it is a defect: logged and counted,
/// never the end of the process. False if one did.
template <class F>
bool guarded(metrics& stats, std::string const& where, F&& f) {
  try {
    f();
    return true;
  } catch (std::exception const& e) {
    stats.handler_exception(where);
    log::error("internal.exception", {{"where", where}, {"what", e.what()}});
  } catch (...) {
    stats.handler_exception(where);
    log::error("internal.exception", {{"where", where}, {"what", "unknown exception"}});
  }
  return false;
}

} // namespace

struct daemon::parts {
  asio::io_context ioc;
  /// Slow work off the network threads and off the Redis strands: the phone
  /// spool's file reads and fsyncs, attachment reads, large case views.
  /// Joined when the I/O loop has ended, so its handlers never outlive what
  /// they use; destroyed after everything that holds its executor.
  asio::thread_pool file_work{2};
  asio::signal_set signals{ioc, SIGINT, SIGTERM, SIGHUP};
  asio::steady_timer drain_timer{ioc};
  asio::steady_timer claim_timer{ioc};
  asio::steady_timer health_timer{ioc};
  asio::steady_timer watch_timer{ioc};
  asio::steady_timer destruction_timer{ioc};
  std::shared_ptr<health_board> health = std::make_shared<health_board>();
  metrics stats;
  failed_logins logins;
  id_source ids;
  std::shared_ptr<token_store const> tokens;
  std::shared_ptr<queue::redis_connection> redis;
  /// The other connections (live updates, senders): stopped with `redis`, so that
  /// no command left pending keeps its handler, and what it holds, alive.
  std::vector<std::shared_ptr<queue::redis_connection>> connections;
  std::unique_ptr<queue::case_store> store;
  std::unique_ptr<queue::case_workflow> workflow;
  std::unique_ptr<queue::answer_watch> watch;
  std::shared_ptr<promises> promised;
  std::shared_ptr<queue::staff_assignment> assignment;
  std::shared_ptr<queue::saved_replies> replies;
  std::shared_ptr<queue::case_search> search;
  std::shared_ptr<search_backfill> backfill;  ///< indexes cases stored before the search index, once
  std::shared_ptr<queue::case_retention> retention;
  std::shared_ptr<destruction_job> destruction;
  std::shared_ptr<privacy_backfill> upgrade;  ///< brings cases stored before retention up to date, once
  std::shared_ptr<openklant::exporter> handover;  ///< closed cases to Open Klant; null unless configured
  std::string handover_state;                     ///< its health as last logged; on the health timer only
  std::atomic<bool> destruction_started{false};
  destruction_settings destroying;  ///< under inboxes_mutex: reload writes, the job's timer reads
  std::vector<std::pair<std::string, std::string>> reply_examples;
  std::mutex inboxes_mutex;             ///< reload writes; the watchdog and the assignment read
  std::vector<std::string> inbox_names;
  std::map<std::string, std::string> team_addresses;  ///< by inbox: who hears of a reported case
  std::map<std::string, queue::assignment_mode> assignment_modes;  ///< the inboxes that propose new cases to staff
  std::shared_ptr<token_store const> staff;  ///< whose tokens name which inboxes: the staff proposals go to

  void remember(std::vector<inbox_config> const& inboxes) {
    std::lock_guard lock(inboxes_mutex);
    inbox_names.clear();
    team_addresses.clear();
    assignment_modes.clear();
    for (auto const& i : inboxes) {
      inbox_names.push_back(i.id);
      if (!i.team_address.empty()) team_addresses[i.id] = i.team_address;
      if (auto const mode = queue::assignment_mode_from(i.assignment)) assignment_modes[i.id] = *mode;
    }
  }
  std::shared_ptr<queue::event_feed> feed;
  std::shared_ptr<live_updates> live;
  std::shared_ptr<switchboard> switches;
  std::shared_ptr<routing_board> routing;
  std::unique_ptr<intake> in;
  std::unique_ptr<channels::channel_services> services;
  std::vector<channel_slot> channels;
  std::unique_ptr<api> http_api;
  std::unique_ptr<http_server> server;
  std::atomic<bool> stopping{false};
  std::atomic<long long> claim_ttl_ms{0};  ///< read by the claim sweep, written by reload
  enum class shutdown_phase { running, draining, closing } phase = shutdown_phase::running;
  steady::time_point deadline;

  explicit parts(int threads) : ioc(threads) {}

  std::size_t open_connections() const {
    auto open = server->connections();
    for (auto const& c : channels) open += c.module->connections();
    return open;
  }
};

daemon::daemon(config c) : config_(std::move(c)), parts_(std::make_unique<parts>(config_.threads)) {
  // hiredis writes to the Redis socket with write(2): a Redis that just died
  // must surface as an error on the connection, not as a SIGPIPE that kills
  // balied. The same holds for a closed stdout.
  std::signal(SIGPIPE, SIG_IGN);
  // Opening hours are local time of the municipality, whatever the host's zone.
  setenv("TZ", config_.timezone.c_str(), 1);
  tzset();
  auto& p = *parts_;
  log::set_level(config_.log_level);
  p.tokens = std::make_shared<token_store const>(token_store::load(config_.tokens_file));
  p.staff = p.tokens;
  p.redis = queue::redis_connection::create(p.ioc.get_executor(), config_.redis, [this, &p](std::string_view event, std::string_view detail) {
    if (event != "redis.ready") return log::warn(event, {{"detail", detail}});
    log::info(event);
    // What was seeded before the connection was up (or while it was away) is seeded now.
    if (p.switches) p.switches->resync();
    if (p.routing) p.routing->resync();
    if (p.replies && !p.reply_examples.empty())
      p.replies->seed(p.reply_examples, [](boost::system::error_code ec, bool added) {
        if (ec) log::warn("saved_replies.not_seeded", {{"error", ec.message()}});
        else if (added) log::info("saved_replies.seeded");
      });
    if (p.backfill) p.backfill->start();
    if (p.upgrade) p.upgrade->start();
    // The destruction job's first run waits for Redis; it schedules the next ones itself.
    if (p.destruction && !p.destruction_started.exchange(true)) asio::post(p.ioc, [this] { destroy_past_term(); });
  });
  p.stats.redis_reconnects_from([r = p.redis] { return r->reconnects(); });
  p.store = std::make_unique<queue::case_store>(p.redis, config_.dedup_ttl);
  p.workflow = std::make_unique<queue::case_workflow>(p.redis);
  p.claim_ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config_.staff.claim_ttl).count();
  // Blocking reads (live updates, each channel's outbox) get connections of their own.
  auto const own_connection = [&p, redis = config_.redis](std::string const& name) {
    auto c = queue::redis_connection::create(p.ioc.get_executor(), redis, [name](std::string_view event, std::string_view detail) {
      if (event != "redis.ready") log::warn(name + "." + std::string(event), {{"detail", detail}});
    });
    p.connections.push_back(c);
    return c;
  };
  p.feed = std::make_shared<queue::event_feed>(own_connection("events"), p.redis);
  p.live = std::make_shared<live_updates>(p.ioc.get_executor(), p.feed);
  p.routing = std::make_shared<routing_board>(p.redis, p.feed, config_.routing_document, inbox_ids(config_));
  p.promised = std::make_shared<promises>(config_.inboxes);
  p.remember(config_.inboxes);
  p.watch = std::make_unique<queue::answer_watch>(p.redis);
  p.in = std::make_unique<intake>(*p.store, p.routing->current().router, p.promised, p.stats, p.ids);
  p.assignment = std::make_shared<queue::staff_assignment>(p.redis);
  p.replies = std::make_shared<queue::saved_replies>(p.redis);
  p.reply_examples = config_.saved_reply_examples;
  p.in->on_new_case([this](std::string const& case_id, std::string const& inbox) { propose(case_id, inbox); });
  p.routing->on_change([&p](std::shared_ptr<routing::router const> r) { p.in->set_router(std::move(r)); });
  // What escapes offloaded work is a defect: logged and counted; the responder it held answers 500.
  auto offload = [&p](std::function<void()> work) {
    asio::post(p.file_work, [&p, work = std::move(work)] { guarded(p.stats, "work", work); });
  };
  p.search = std::make_shared<queue::case_search>(p.redis);
  p.backfill = std::make_shared<search_backfill>(p.search, *p.store, p.redis, offload);
  p.retention = std::make_shared<queue::case_retention>(p.redis);
  p.destruction = std::make_shared<destruction_job>(asio::make_strand(p.ioc), p.retention, p.file_work, system_now);
  p.destroying = destruction_settings_of(config_);
  p.upgrade = std::make_shared<privacy_backfill>(asio::make_strand(p.ioc), p.redis, *p.store, p.search, p.retention, p.file_work, [&p] {
    std::lock_guard lock(p.inboxes_mutex);
    return p.destroying.terms;
  });
  p.services = std::make_unique<channels::channel_services>(channels::channel_services{
      p.ioc, p.file_work.get_executor(), *p.in, p.redis, *p.store, *p.workflow, p.feed, own_connection, p.stats, p.logins, offload,
      system_now, p.ids, config_.outbox, config_.texts, acknowledgement_writer_for(config_.texts), config_.automatic,
      [sms = !config_.sms.send_via.empty(), email = config_.email.enabled](channel c) {
        return c == channel::webchat || (c == channel::sms && sms) || (c == channel::email && email);
      },
      {}});
  p.channels = register_builtin_channels(config_, *p.services);
  if (config_.openklant.enabled)
    p.handover = std::make_shared<openklant::exporter>(config_.openklant, config_.outbox, own_connection("openklant"), p.redis, *p.store,
                                                       *p.workflow, system_now, channels::call_with_curl, &p.stats);

  std::vector<std::pair<std::string, bool>> seeds;
  std::vector<http_route> channel_routes;
  for (auto const& c : p.channels) {
    seeds.emplace_back(c.module->name(), c.enabled_in(config_));
    for (auto const& [part, on] : c.module->parts()) seeds.emplace_back(std::string(c.module->name()) + "/" + part, on);
    for (auto& r : c.module->routes()) channel_routes.push_back(std::move(r));
  }
  p.switches = std::make_shared<switchboard>(p.redis, p.feed, std::move(seeds));
  // The chat widget lists these next to phone, counter and post: every way in that is on now, a Big Tech platform last.
  p.services->other_ways = [&p] {
    std::vector<channels::contact_point> out, big_tech;
    for (auto const& c : p.channels) {
      if (!p.switches->enabled(std::string(c.module->name()))) continue;
      for (auto& w : c.module->contact_points()) (w.big_tech ? big_tech : out).push_back(std::move(w));
    }
    out.insert(out.end(), std::make_move_iterator(big_tech.begin()), std::make_move_iterator(big_tech.end()));
    return out;
  };
  p.switches->on_change([&p](std::string const& channel, queue::channel_switch const& s) {
    p.stats.set_channel_enabled(channel, s.enabled);
    auto const slash = channel.find('/');
    for (auto const& c : p.channels) {
      if (c.module->name() == channel) c.module->set_enabled(s.enabled, {s.notice_nl, s.notice_en});
      else if (slash != std::string::npos && c.module->name() == channel.substr(0, slash))
        c.module->set_part_enabled(channel.substr(slash + 1), s.enabled);
    }
  });
  p.http_api = std::make_unique<api>(std::make_shared<config const>(config_), p.tokens,
                                     api_services{*p.in, *p.store, *p.workflow, p.live, p.stats, system_now, p.ids, offload, p.switches, p.routing,
                                                  p.logins, std::move(channel_routes), p.health,
                                                  builtin_reply_checks(p.channels, config_, *p.services), p.assignment,
                                                  p.search, p.replies, p.retention});
  http_limits limits{config_.http.max_header_bytes, config_.http.max_body_bytes, config_.http.read_timeout,
                     config_.http.idle_timeout, config_.http.max_connections};
  limits.max_connections_per_address = config_.http.max_connections_per_address;
  auto* handler = p.http_api.get();
  p.server = std::make_unique<http_server>(
      p.ioc, limits, [handler](http_request req, http_responder respond) { handler->handle(std::move(req), std::move(respond)); },
      [handler](unsigned status, std::string type, std::string detail) { return handler->transport_error(status, type, detail); },
      [&p](std::string path, std::shared_ptr<upgrade_request> up) {
        for (auto const& c : p.channels)
          if (c.module->upgrade(path, up)) return;
        refuse_upgrade(std::move(up), problem(404, "not-found", "There is no WebSocket at this path."));
      },
      [stats = &p.stats](std::string_view what) {
        stats->handler_exception("http");
        log::error("internal.exception", {{"where", "http"}, {"what", what}});
      });
  p.server->trust_proxies(trusted_proxies(config_.http.trusted_proxies));
  p.server->admit_with([handler](http_request const& head) { return handler->admit(head); });
}

daemon::~daemon() = default;

std::vector<route> daemon::routes() const { return parts_->http_api->routes(); }

int daemon::run() {
  auto& p = *parts_;
  if (auto ec = p.server->listen(config_.http.address, config_.http.port)) {
    log::error("http.listen_failed", {{"address", config_.http.address}, {"port", std::to_string(config_.http.port)},
                                      {"error", ec.message()}});
    return 1;
  }
  log::info("http.listening", {{"address", config_.http.address}, {"port", std::to_string(p.server->port())}});
  for (auto const& c : p.channels)
    if (c.module->listen()) return 1;  // the channel logged why
  p.redis->start();
  p.live->start();
  for (auto const& c : p.channels) c.module->start();
  if (p.handover) p.handover->start();
  p.switches->start();
  p.routing->start();
  p.feed->start();  // after everyone registered for its start
  expire_claims();
  watch_health();
  watch_answers();

  wait_for_signal();
  sd_notify("READY=1");
  log::info("balied.started", {{"threads", std::to_string(config_.threads)}});

  // The last safety net: an exception that escapes a completion handler
  // leaves run(); it is logged and counted, and the thread runs on. Whatever
  // held the handler (an HTTP responder) answers 500 as it is destroyed.
  auto const run_io = [&p] {
    while (!guarded(p.stats, "io", [&p] { p.ioc.run(); })) {
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < config_.threads; ++i) threads.emplace_back(run_io);
  run_io();
  for (auto& t : threads) t.join();
  p.file_work.join();  // the spool is stopped and nothing new arrives: what was queued finishes
  log::info("balied.stopped");
  return 0;
}

void daemon::wait_for_signal() {
  parts_->signals.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload();
      return wait_for_signal();
    }
    log::info("signal", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    begin_shutdown();
  });
}

void daemon::begin_shutdown() {
  auto& p = *parts_;
  if (p.stopping.exchange(true)) return;
  sd_notify("STOPPING=1");
  log::info("shutdown.begin", {{"in_flight", std::to_string(p.in->in_flight())}});
  p.server->stop_accepting();
  for (auto const& c : p.channels) c.module->stop_accepting();
  p.in->drain();
  p.deadline = steady::now() + config_.shutdown_deadline;

  p.phase = parts::shutdown_phase::draining;
  shutdown_step();
}

void daemon::shutdown_step() {
  auto& p = *parts_;
  auto const now = steady::now();
  if (p.phase == parts::shutdown_phase::draining && (p.in->in_flight() == 0 || now >= p.deadline)) {
    log::info("shutdown.drained", {{"unfinished", std::to_string(p.in->in_flight())}});
    p.live->stop();
    for (auto const& c : p.channels) c.module->stop();
    if (p.handover) p.handover->stop();
    p.server->close_connections();
    p.phase = parts::shutdown_phase::closing;
  }
  auto const open = p.open_connections();
  if (p.phase == parts::shutdown_phase::closing && (open == 0 || now >= p.deadline + close_grace)) {
    log::info("shutdown.done", {{"open_connections", std::to_string(open)}});
    p.switches->stop();
    p.routing->stop();
    p.feed->stop();
    p.connections.push_back(p.redis);
    for (auto const& c : p.connections) c->stop();
    boost::system::error_code ignored;
    p.signals.cancel(ignored);
    p.claim_timer.cancel();
    p.health_timer.cancel();
    p.watch_timer.cancel();
    p.destruction_timer.cancel();
    // Posted after each Redis stop on its strand: every connection is closed
    // (its pending commands failed and their handlers gone) before the loop ends.
    auto left = std::make_shared<std::atomic<std::size_t>>(p.connections.size());
    for (auto const& c : p.connections)
      asio::post(c->strand(), [&p, left] {
        if (--*left == 0) p.ioc.stop();
      });
    return;
  }
  p.drain_timer.expires_after(drain_check_interval);
  p.drain_timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) shutdown_step();
  });
}

/// Claims nobody renewed go back to their inbox. The sweep runs a few times
/// per claim lifetime, so a claim ends at most a quarter of it late.
void daemon::expire_claims() {
  auto& p = *parts_;
  if (p.stopping) return;
  auto const ttl = std::chrono::milliseconds(p.claim_ttl_ms.load());
  auto const every = std::clamp(ttl / 4, std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
  p.claim_timer.expires_after(every);
  p.claim_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || parts_->stopping) return;
    auto const now = system_now().time_since_epoch().count();
    parts_->workflow->expire_claims(now, claim_sweep_batch, [this](boost::system::error_code ec, queue::action_result r) {
      if (!ec && r.detail != "0") log::info("claims.expired", {{"count", r.detail}});
      expire_claims();
    });
  });
}

/// The destruction job (gateway/destruction_job.hpp): once Redis is first up, then every `/retention/check_every_minutes`.
void daemon::destroy_past_term() {
  auto& p = *parts_;
  if (p.stopping) return;
  destruction_settings settings;
  {
    std::lock_guard lock(p.inboxes_mutex);
    settings = p.destroying;
  }
  auto const every = settings.terms.check_every;
  p.destruction->run_once(std::move(settings), [this, every](destruction_report r) {
    if (!r.error.empty()) log::error("retention.run_failed", {{"error", r.error}, {"next_in_s", std::to_string(every.count())}});
    else if (r.ran)
      log::info("retention.run", {{"cases_destroyed", std::to_string(r.destroyed)}, {"files_removed", std::to_string(r.files_removed)},
                                  {"files_kept", std::to_string(r.files_kept)}, {"spool_removed", std::to_string(r.spool_removed)},
                                  {"events_trimmed", std::to_string(r.events_trimmed)}, {"audit_trimmed", std::to_string(r.audit_trimmed)},
                                  {"waiting_for_upgrade", r.waiting_for_upgrade ? "true" : "false"}});
    auto& p = *parts_;
    if (p.stopping) return;
    p.destruction_timer.expires_after(every);
    p.destruction_timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) destroy_past_term();
    });
  });
}

/// Asks every channel how it is doing, once a second; a change is recorded,
/// logged (`channel.health`) and shown in /metrics (`balie_channel_up`).
void daemon::watch_health() {
  auto& p = *parts_;
  if (p.stopping) return;
  auto const now = format_rfc3339(system_now());
  for (auto const& c : p.channels) {
    auto const name = std::string(c.module->name());
    auto const h = c.module->health();
    auto const was = p.health->record(name, h, now);
    if (!was) continue;
    p.stats.set_channel_up(name, h.state == "up" || h.state == "degraded");
    log::write(h.state == "up" ? log_level::info : log_level::warn, "channel.health_changed",
               {{"channel", name}, {"state", h.state}, {"was", *was}, {"reason", h.reason}});
  }
  // The hand-over to Open Klant is no channel: its state shows with the polled sources (/readyz, /metrics).
  if (p.handover) {
    auto const h = p.handover->health();
    if (h.state != p.handover_state) {
      p.stats.set_health("openklant", h.state == "up" ? "up" : "down");
      log::write(h.state == "up" ? log_level::info : log_level::warn, "openklant.health_changed",
                 {{"state", h.state}, {"was", p.handover_state}, {"reason", h.reason}});
      p.handover_state = h.state;
    }
  }
  p.health_timer.expires_after(health_check_interval);
  p.health_timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) watch_health();
  });
}

/// The watchdog: cases past their answer time are marked overdue and raised, later reported
/// (queue/answer_watch.hpp); each inbox's count shows in /metrics as `balie_cases_overdue`.
void daemon::watch_answers() {
  auto& p = *parts_;
  if (p.stopping) return;
  p.watch_timer.expires_after(watch_interval);
  p.watch_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || parts_->stopping) return;
    auto& p = *parts_;
    auto const teams = [&p] {
      std::lock_guard lock(p.inboxes_mutex);
      return p.team_addresses;
    }();
    p.watch->sweep(system_now().time_since_epoch().count(), watch_sweep_batch, teams, [this](boost::system::error_code ec,
                                                                                 std::vector<queue::watch_finding> found) {
      auto& p = *parts_;
      for (auto const& f : found)
        log::write(f.stage == "reported" ? log_level::warn : log_level::info, f.stage == "reported" ? "case.overdue_reported" : "case.overdue",
                   {{"case_id", f.case_id}, {"inbox", f.inbox}, {"priority", f.priority}});
      if (ec) return watch_answers();
      auto const inboxes = [&p] {
        std::lock_guard lock(p.inboxes_mutex);
        return p.inbox_names;
      }();
      p.watch->overdue_counts(inboxes, [this, inboxes](boost::system::error_code ec, std::vector<long long> counts) {
        for (std::size_t i = 0; !ec && i < counts.size() && i < inboxes.size(); ++i) parts_->stats.set_overdue(inboxes[i], counts[i]);
        watch_answers();
      });
    });
  });
}

/// A new case in an inbox with an assignment is proposed to one of its available staff.
/// Called on the enqueue's strand: only the small staff list is built here.
void daemon::propose(std::string const& case_id, std::string const& inbox) {
  auto& p = *parts_;
  std::optional<queue::assignment_mode> mode;
  std::vector<std::string> staff;
  {
    std::lock_guard lock(p.inboxes_mutex);
    auto const it = p.assignment_modes.find(inbox);
    if (it == p.assignment_modes.end()) return;
    mode = it->second;
    staff = p.staff->staff_of(inbox);
  }
  p.assignment->propose(case_id, inbox, *mode, std::move(staff), system_now().time_since_epoch().count(),
                        [case_id, inbox](boost::system::error_code ec, std::string const& chosen) {
                          if (ec) return log::warn("case.propose_failed", {{"case_id", case_id}, {"inbox", inbox}, {"error", ec.message()}});
                          if (!chosen.empty()) log::info("case.proposed", {{"case_id", case_id}, {"inbox", inbox}, {"staff", chosen}});
                        });
}

void daemon::reload() {
  auto& p = *parts_;
  try {
    auto fresh = load_config(config_.file, config_.data_dir);
    auto tokens = std::make_shared<token_store const>(token_store::load(fresh.tokens_file));
    p.http_api->set_tokens(tokens);
    {
      std::lock_guard lock(p.inboxes_mutex);
      p.staff = tokens;
    }
    auto const ended = p.live->close_unless([&tokens](principal const& who) { return tokens->still_grants(who); });
    log::info("reload.tokens", {{"count", std::to_string(tokens->size())}, {"streams_closed", std::to_string(ended)}});
    if (fresh.inboxes != config_.inboxes) {
      p.routing->set_inboxes(inbox_ids(fresh));
      p.promised->set(fresh.inboxes);
      p.remember(fresh.inboxes);
      log::info("reload.inboxes", {{"count", std::to_string(fresh.inboxes.size())}});
    }
    // Rules changed in the file are an operator's change: put in force in Redis like an admin's, for every instance.
    if (fresh.routing_document != config_.routing_document)
      p.routing->replace(fresh.routing_document, "config", "configuration file", format_rfc3339(system_now()),
                         [](boost::system::error_code ec, bool changed, long long version) {
                           if (ec) return log::error("reload.routing_failed", {{"error", ec.message()}});
                           log::info("reload.routing", {{"changed", changed ? "true" : "false"}, {"version", std::to_string(version)}});
                         });
    // A switch changed in the file is an operator's change: made in Redis like an admin's, for every instance.
    std::vector<std::pair<std::string, bool>> switched;
    for (auto const& c : p.channels)
      if (c.enabled_in(fresh) != c.enabled_in(config_)) switched.emplace_back(c.module->name(), c.enabled_in(fresh));
    for (auto const& s : switched)  // (clang 14 cannot capture structured bindings)
      p.switches->change(s.first, {s.second, "configuration file", "", "", "config", format_rfc3339(system_now())},
                         [name = s.first, on = s.second](boost::system::error_code ec, queue::change_result r) {
                           if (ec) return log::error("reload.channel_failed", {{"channel", name}, {"error", ec.message()}});
                           if (r == queue::change_result::last_channel)
                             return log::warn("reload.channel_refused", {{"channel", name}, {"reason", "the last channel that is on"}});
                           log::info("reload.channel", {{"channel", name}, {"enabled", on ? "true" : "false"}});
                         });
    if (fresh.staff != config_.staff) {
      p.claim_ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(fresh.staff.claim_ttl).count();
      log::info("reload.staff", {{"claim_ttl_s", std::to_string(fresh.staff.claim_ttl.count())}});
    }
    if (fresh.web_root != config_.web_root) log::info("reload.web");
    {
      std::lock_guard lock(p.inboxes_mutex);
      p.destroying = destruction_settings_of(fresh);
    }
    for (auto const& c : p.channels) c.reconfigure(fresh);
    p.http_api->set_reply_checks(builtin_reply_checks(p.channels, fresh, *p.services));
    if (fresh.log_level != config_.log_level) {
      log::set_level(fresh.log_level);
      log::info("reload.log_level", {{"level", fresh.log_level}});
    }
    std::string restart;
    if (fresh.http != config_.http) restart += "http ";
    if (fresh.redis.unix_socket != config_.redis.unix_socket || fresh.redis.host != config_.redis.host ||
        fresh.redis.port != config_.redis.port)
      restart += "redis ";
    if (fresh.threads != config_.threads) restart += "threads ";
    if (fresh.outbox != config_.outbox) restart += "outbox ";
    if (fresh.openklant != config_.openklant) restart += "openklant ";
    if (!restart.empty()) log::warn("reload.needs_restart", {{"sections", restart}});
    // Keep what cannot change at run time; take the rest.
    fresh.http = config_.http;
    fresh.redis = config_.redis;
    fresh.threads = config_.threads;
    fresh.outbox = config_.outbox;
    fresh.openklant = config_.openklant;
    config_ = fresh;
    p.http_api->set_config(std::make_shared<config const>(config_));
  } catch (std::exception const& e) {
    log::error("reload.failed", {{"error", e.what()}});
  }
}

} // namespace balie::gateway
