// Lifecycle. Start-up order: tokens and config are already validated (they
// throw before anything listens); then the Redis connection, the intake, the
// HTTP listener and the spool. Shutdown (SIGTERM/SIGINT) runs in reverse and
// never drops an acknowledged message: stop accepting, stop the spool, let
// every enqueue already started finish (up to the deadline), let the HTTP
// sessions write those answers, then close Redis and stop. SIGHUP reloads
// the tokens, routing, channel settings and log level, and logs what changed
// and what needs a restart.
#include "gateway/daemon.hpp"

#include "channels/phone/spool.hpp"
#include "gateway/api.hpp"
#include "gateway/intake.hpp"
#include "gateway/chat_service.hpp"
#include "gateway/email_intake.hpp"
#include "gateway/email_sender.hpp"
#include "gateway/imap_poller.hpp"
#include "gateway/lmtp_server.hpp"
#include "gateway/chat_socket.hpp"
#include "gateway/live_updates.hpp"
#include "gateway/log.hpp"
#include "gateway/sd_notify.hpp"
#include "gateway/switchboard.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <curl/curl.h>

#include <csignal>
#include <thread>

namespace balie::gateway {
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {
/// How often shutdown checks whether the in-flight work is done.
constexpr auto drain_check_interval = std::chrono::milliseconds(5);
/// Extra time for sessions to write their last answers after the drain.
constexpr auto close_grace = std::chrono::seconds(2);
/// Expired claims released per sweep; more wait for the next one.
constexpr std::size_t claim_sweep_batch = 200;
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
  metrics stats;
  id_source ids;
  std::shared_ptr<token_store const> tokens;
  std::shared_ptr<queue::redis_connection> redis;
  /// The other connections (live updates, senders): stopped with `redis`, so that
  /// no command left pending keeps its handler, and what it holds, alive.
  std::vector<std::shared_ptr<queue::redis_connection>> connections;
  std::unique_ptr<queue::case_store> store;
  std::unique_ptr<queue::case_workflow> workflow;
  std::shared_ptr<queue::event_feed> feed;
  std::shared_ptr<live_updates> live;
  std::shared_ptr<switchboard> switches;
  std::unique_ptr<queue::chat_store> chat_store;
  std::shared_ptr<chat_service> chat;
  std::unique_ptr<intake> in;
  std::unique_ptr<api> http_api;
  std::unique_ptr<http_server> server;
  std::shared_ptr<channels::phone::transcript_spool> spool;
  std::shared_ptr<email_intake> mail;
  std::unique_ptr<lmtp_server> lmtp;
  std::shared_ptr<email_sender> mail_sender;
  std::vector<std::shared_ptr<imap_poller>> imap;
  std::atomic<bool> stopping{false};
  std::atomic<long long> claim_ttl_ms{0};  ///< read by the claim sweep, written by reload
  enum class shutdown_phase { running, draining, closing } phase = shutdown_phase::running;
  steady::time_point deadline;

  explicit parts(int threads) : ioc(threads) {}
};

daemon::daemon(config c) : config_(std::move(c)), parts_(std::make_unique<parts>(config_.threads)) {
  // hiredis writes to the Redis socket with write(2): a Redis that just died
  // must surface as an error on the connection, not as a SIGPIPE that kills
  // balied. The same holds for a closed stdout.
  std::signal(SIGPIPE, SIG_IGN);
  // Opening hours are local time of the municipality, whatever the host's zone.
  setenv("TZ", config_.webchat.timezone.c_str(), 1);
  tzset();
  auto& p = *parts_;
  log::set_level(config_.log_level);
  p.tokens = std::make_shared<token_store const>(token_store::load(config_.tokens_file));
  p.redis = queue::redis_connection::create(p.ioc.get_executor(), config_.redis, [](std::string_view event, std::string_view detail) {
    if (event == "redis.ready") log::info(event);
    else log::warn(event, {{"detail", detail}});
  });
  p.stats.redis_reconnects_from([r = p.redis] { return r->reconnects(); });
  p.store = std::make_unique<queue::case_store>(p.redis, config_.dedup_ttl);
  p.workflow = std::make_unique<queue::case_workflow>(p.redis);
  p.claim_ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config_.staff.claim_ttl).count();
  // Live updates read with a blocking XREAD, so on a connection of their own.
  auto events_redis = queue::redis_connection::create(p.ioc.get_executor(), config_.redis, [](std::string_view event, std::string_view detail) {
    if (event != "redis.ready") log::warn("events." + std::string(event), {{"detail", detail}});
  });
  p.connections.push_back(events_redis);
  p.feed = std::make_shared<queue::event_feed>(events_redis, p.redis);
  p.live = std::make_shared<live_updates>(p.ioc.get_executor(), p.feed);
  p.switches = std::make_shared<switchboard>(p.redis, p.feed, config_);
  p.in = std::make_unique<intake>(*p.store, std::make_shared<routing::router const>(config_.routing), p.stats, p.ids);
  // The web-chat sender reads its outbox with a blocking read: a connection of its own too.
  auto sender_redis = queue::redis_connection::create(p.ioc.get_executor(), config_.redis, [](std::string_view event, std::string_view detail) {
    if (event != "redis.ready") log::warn("webchat." + std::string(event), {{"detail", detail}});
  });
  p.chat_store = std::make_unique<queue::chat_store>(p.redis);
  p.chat = std::make_shared<chat_service>(p.ioc.get_executor(), std::make_shared<config const>(config_), *p.in, *p.chat_store,
                                          *p.workflow, sender_redis, p.feed, system_now, p.ids);
  p.connections.push_back(sender_redis);
  // What escapes offloaded work is a defect: logged and counted; the responder it held answers 500.
  auto offload = [&p](std::function<void()> work) {
    asio::post(p.file_work, [&p, work = std::move(work)] { guarded(p.stats, "work", work); });
  };
  p.http_api = std::make_unique<api>(std::make_shared<config const>(config_), p.tokens,
                                     api_services{*p.in, *p.store, *p.workflow, p.live, p.chat, p.stats, system_now, p.ids, offload, p.switches});
  p.switches->on_change([chat = p.chat, stats = &p.stats](std::string const& channel, bool on) {
    stats->set_channel_enabled(channel, on);
    if (channel == "webchat") chat->set_enabled(on);
  });
  if (!config_.email.domain.empty()) {
    p.mail = std::make_shared<email_intake>(p.ioc.get_executor(), config_.email, *p.in, *p.workflow, system_now, p.ids);
    if (config_.email.lmtp_enabled) p.lmtp = std::make_unique<lmtp_server>(p.ioc, p.mail, config_.email);
    if (!config_.email.smtp_url.empty() || !config_.email.imap.empty()) curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!config_.email.smtp_url.empty()) {
      // The sender blocks on its outbox: a connection of its own.
      auto mail_redis = queue::redis_connection::create(p.ioc.get_executor(), config_.redis, [](std::string_view event, std::string_view detail) {
        if (event != "redis.ready") log::warn("email." + std::string(event), {{"detail", detail}});
      });
      p.mail_sender = std::make_shared<email_sender>(config_.email, config_.outbox, mail_redis, *p.store, *p.workflow, system_now);
      p.connections.push_back(mail_redis);
    }
    p.switches->on_change([mail = p.mail](std::string const& channel, bool on) {
      if (channel == "email") mail->set_enabled(on);
    });
    for (auto const& mailbox : config_.email.imap)
      p.imap.push_back(std::make_shared<imap_poller>(p.ioc.get_executor(), mailbox, p.mail, *p.redis, p.stats));
  }
  http_limits limits{config_.http.max_header_bytes, config_.http.max_body_bytes, config_.http.read_timeout,
                     config_.http.idle_timeout, config_.http.max_connections};
  limits.max_connections_per_address = config_.http.max_connections_per_address;
  auto* handler = p.http_api.get();
  auto const reporter = [stats = &p.stats](std::string where) {
    return [stats, where](std::string_view what) {
      stats->handler_exception(where);
      log::error("internal.exception", {{"where", where}, {"what", what}});
    };
  };
  p.server = std::make_unique<http_server>(
      p.ioc, limits, [handler](http_request req, http_responder respond) { handler->handle(std::move(req), std::move(respond)); },
      [handler](unsigned status, std::string type, std::string detail) { return handler->transport_error(status, type, detail); },
      [chat = p.chat, report = reporter("websocket")](std::shared_ptr<upgrade_request> up) { serve_chat_socket(std::move(up), chat, report); },
      reporter("http"));
  p.server->trust_proxies(trusted_proxies(config_.http.trusted_proxies));
  p.server->admit_with([handler](http_request const& head) { return handler->admit(head); });
}

daemon::~daemon() = default;

int daemon::run() {
  auto& p = *parts_;
  if (auto ec = p.server->listen(config_.http.address, config_.http.port)) {
    log::error("http.listen_failed", {{"address", config_.http.address}, {"port", std::to_string(config_.http.port)},
                                      {"error", ec.message()}});
    return 1;
  }
  log::info("http.listening", {{"address", config_.http.address}, {"port", std::to_string(p.server->port())}});
  if (p.lmtp) {
    if (auto ec = p.lmtp->listen(config_.email.lmtp_address, config_.email.lmtp_port)) {
      log::error("lmtp.listen_failed", {{"address", config_.email.lmtp_address}, {"port", std::to_string(config_.email.lmtp_port)},
                                        {"error", ec.message()}});
      return 1;
    }
    log::info("lmtp.listening", {{"address", config_.email.lmtp_address}, {"port", std::to_string(p.lmtp->port())}});
  }
  p.redis->start();
  p.live->start();
  p.chat->start();
  if (p.mail_sender) p.mail_sender->start();
  for (auto& poller : p.imap) poller->start();
  p.switches->start();
  p.feed->start();  // after everyone registered for its start
  expire_claims();
  if (config_.phone.enabled && !config_.phone.spool_dir.empty()) {
    p.spool = std::make_shared<channels::phone::transcript_spool>(
        p.file_work.get_executor(),
        channels::phone::spool_options{config_.phone.spool_dir, config_.phone.spool_poll, config_.phone.max_transcript_bytes},
        *p.in, system_now, p.ids, [](std::string_view event, std::string_view file, std::string_view detail) {
          log::write(event == "phone.spool.deferred" || event == "phone.spool.rejected" ? log_level::warn : log_level::info, event,
                     {{"channel", "phone"}, {"file", file}, {"detail", detail}});
        });
    p.spool->start();
  }

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
  if (p.lmtp) p.lmtp->stop_accepting();
  for (auto& poller : p.imap) poller->stop();
  if (p.spool) p.spool->stop();
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
    p.chat->stop();
    if (p.mail_sender) p.mail_sender->stop();
    if (p.mail) p.mail->stop();  // the parse workers end here, not in a destructor that may run on one of them
    p.server->close_connections();
    if (p.lmtp) p.lmtp->close_connections();
    p.phase = parts::shutdown_phase::closing;
  }
  auto const open = p.server->connections() + (p.lmtp ? p.lmtp->connections() : 0);
  if (p.phase == parts::shutdown_phase::closing && (open == 0 || now >= p.deadline + close_grace)) {
    log::info("shutdown.done", {{"open_connections", std::to_string(open)}});
    p.switches->stop();
    p.feed->stop();
    p.connections.push_back(p.redis);
    for (auto const& c : p.connections) c->stop();
    boost::system::error_code ignored;
    p.signals.cancel(ignored);
    p.claim_timer.cancel();
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

void daemon::reload() {
  auto& p = *parts_;
  try {
    auto fresh = load_config(config_.file, config_.data_dir);
    auto tokens = std::make_shared<token_store const>(token_store::load(fresh.tokens_file));
    p.http_api->set_tokens(tokens);
    auto const ended = p.live->close_unless([&tokens](principal const& who) { return tokens->still_grants(who); });
    log::info("reload.tokens", {{"count", std::to_string(tokens->size())}, {"streams_closed", std::to_string(ended)}});
    if (fresh.routing != config_.routing) {
      p.in->set_router(std::make_shared<routing::router const>(fresh.routing));
      log::info("reload.routing", {{"default_inbox", fresh.routing.default_inbox}});
    }
    if (fresh.inboxes != config_.inboxes) log::info("reload.inboxes", {{"count", std::to_string(fresh.inboxes.size())}});
    // A switch changed in the file is an operator's change: made in Redis like an admin's, for every instance.
    std::vector<std::pair<std::string, bool>> switched;
    if (fresh.phone.enabled != config_.phone.enabled) switched.emplace_back("phone", fresh.phone.enabled);
    if (fresh.webchat.enabled != config_.webchat.enabled) switched.emplace_back("webchat", fresh.webchat.enabled);
    if (fresh.email.enabled != config_.email.enabled && p.mail) switched.emplace_back("email", fresh.email.enabled);
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
    if (fresh.webchat != config_.webchat) log::info("reload.webchat");
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
    auto email_rest = fresh.email;
    email_rest.enabled = config_.email.enabled;
    if (email_rest != config_.email) restart += "channels.email ";
    if (fresh.phone.spool_dir != config_.phone.spool_dir || fresh.phone.spool_poll != config_.phone.spool_poll)
      restart += "channels.phone.spool ";
    if (!restart.empty()) log::warn("reload.needs_restart", {{"sections", restart}});
    // Keep what cannot change at run time; take the rest.
    fresh.http = config_.http;
    fresh.redis = config_.redis;
    fresh.threads = config_.threads;
    fresh.phone.spool_dir = config_.phone.spool_dir;
    fresh.phone.spool_poll = config_.phone.spool_poll;
    email_rest.enabled = fresh.email.enabled;
    fresh.email = config_.email;
    fresh.email.enabled = email_rest.enabled;
    config_ = fresh;
    p.http_api->set_config(std::make_shared<config const>(config_));
    p.chat->set_config(std::make_shared<config const>(config_));
  } catch (std::exception const& e) {
    log::error("reload.failed", {{"error", e.what()}});
  }
}

} // namespace balie::gateway
