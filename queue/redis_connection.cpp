// Design: hiredis owns the socket and the protocol; Asio only tells it when
// the descriptor is readable or writable (the same hook pattern as hiredis'
// libevent adapter). Each hiredis context lives in a `link`, shared by every
// pending Asio wait, so a wait that completes after the context was freed
// finds `ctx == nullptr` and does nothing. Commands on one connection are
// answered in order, so pending handlers sit in a FIFO and the watchdog only
// looks at the oldest: if Redis does not answer it in time the link is torn
// down, every pending command fails (never half-acknowledged), and the
// connection reconnects with jittered exponential backoff.
//
// User handlers never run inside a hiredis callback: replies are copied out
// and the handler is posted to the strand, so a handler may send the next
// command or stop the connection without re-entering hiredis.
//
// Rejected: a timer per command (thousands of timers at full load), and
// redisAsyncDisconnect on timeout (it waits for the replies that are late).
#include "queue/redis_connection.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <deque>

namespace balie::queue {
namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

struct redis_connection::link : std::enable_shared_from_this<link> {
  redisAsyncContext* ctx = nullptr;
  std::optional<asio::posix::stream_descriptor> fd;
  std::weak_ptr<redis_connection> owner;
  bool want_read = false, want_write = false, read_armed = false, write_armed = false;
  bool connected = false, lost = false;
  steady::time_point connect_deadline;
  errc failure = errc::disconnected;
  struct pending_command {
    reply_handler handler;
    steady::time_point deadline;
  };
  std::deque<pending_command> pending;
};

namespace {

redis_reply copy_reply(redisReply const* r) {
  redis_reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = redis_reply::kind::string; break;
    case REDIS_REPLY_STATUS: out.type = redis_reply::kind::status; break;
    case REDIS_REPLY_ERROR: out.type = redis_reply::kind::error; break;
    case REDIS_REPLY_INTEGER: out.type = redis_reply::kind::integer; break;
    case REDIS_REPLY_ARRAY: out.type = redis_reply::kind::array; break;
    default: out.type = redis_reply::kind::nil; break;
  }
  if (r->str) out.str.assign(r->str, r->len);
  out.integer = r->integer;
  out.elements.reserve(r->elements);
  for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
  return out;
}

} // namespace

/// The C callbacks hiredis calls; each finds its link through `ev.data`.
struct hooks {
  using link = redis_connection::link;
  static link* of(void* data) { return static_cast<link*>(data); }

  static void add_read(void* d) { set(d, &link::want_read, true); }
  static void del_read(void* d) { set(d, &link::want_read, false); }
  static void add_write(void* d) { set(d, &link::want_write, true); }
  static void del_write(void* d) { set(d, &link::want_write, false); }
  static void set(void* d, bool link::*flag, bool value) {
    auto* l = of(d);
    l->*flag = value;
    if (value)
      if (auto owner = l->owner.lock()) owner->arm(l->shared_from_this());
  }
  static void cleanup(void* d) {
    auto* l = of(d);
    l->ctx = nullptr;
    l->want_read = l->want_write = false;
    if (l->fd) {
      boost::system::error_code ignored;
      l->fd->cancel(ignored);
      l->fd->release();  // hiredis closes the descriptor itself
    }
  }
  static void on_connect(redisAsyncContext const* ac, int status) {
    auto* l = of(ac->ev.data);
    auto owner = l->owner.lock();
    if (!owner) return;
    if (status != REDIS_OK) return owner->on_lost(l->shared_from_this(), ac->errstr);
    l->connected = true;
    owner->on_connected(l->shared_from_this());
  }
  static void on_disconnect(redisAsyncContext const* ac, int status) {
    auto* l = of(ac->ev.data);
    if (l->failure != errc::disconnected) return;  // a deliberate abort_link reports the loss itself
    if (auto owner = l->owner.lock())
      owner->on_lost(l->shared_from_this(), status == REDIS_OK ? "connection closed" : ac->errstr);
  }
  static void on_reply(redisAsyncContext* ac, void* r, void*) {
    auto* l = of(ac->ev.data);
    if (l->pending.empty()) return;
    auto cmd = std::move(l->pending.front());
    l->pending.pop_front();
    auto owner = l->owner.lock();
    boost::system::error_code ec;
    redis_reply reply;
    if (!r) ec = l->failure;
    else {
      reply = copy_reply(static_cast<redisReply*>(r));
      if (reply.is_error()) ec = errc::error_reply;
    }
    if (owner)
      asio::post(owner->strand_, [h = std::move(cmd.handler), ec, reply = std::move(reply)]() mutable { h(ec, std::move(reply)); });
  }
};

std::shared_ptr<redis_connection> redis_connection::create(asio::any_io_executor ex, redis_options options, event_fn on_event) {
  return std::shared_ptr<redis_connection>(new redis_connection(std::move(ex), std::move(options), std::move(on_event)));
}

redis_connection::redis_connection(asio::any_io_executor ex, redis_options options, event_fn on_event)
    : strand_(asio::make_strand(ex)), reconnect_timer_(strand_), watchdog_(strand_), options_(std::move(options)),
      on_event_(std::move(on_event)) {}

redis_connection::~redis_connection() {
  if (link_ && link_->ctx) {
    link_->failure = errc::shutting_down;
    link_->owner.reset();
    redisAsyncFree(link_->ctx);
  }
}

void redis_connection::start() {
  asio::post(strand_, [self = shared_from_this()] { self->connect(); });
}

void redis_connection::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->ready_ = false;
    self->reconnect_timer_.cancel();
    self->watchdog_.cancel();
    if (self->link_) self->abort_link(self->link_, errc::shutting_down, "stopped");
  });
}

std::string redis_connection::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void redis_connection::set_error(std::string e) {
  std::lock_guard lock(error_mutex_);
  last_error_ = std::move(e);
}

void redis_connection::connect() {
  if (stopping_) return;
  redisAsyncContext* ac = options_.unix_socket.empty() ? redisAsyncConnect(options_.host.c_str(), options_.port)
                                                       : redisAsyncConnectUnix(options_.unix_socket.c_str());
  if (!ac || ac->err) {
    set_error(std::string("Redis unreachable: ") + (ac ? ac->errstr : "out of memory"));
    if (ac) redisAsyncFree(ac);
    return schedule_reconnect();
  }
  auto l = std::make_shared<link>();
  l->ctx = ac;
  l->owner = weak_from_this();
  l->fd.emplace(strand_, ac->c.fd);
  l->connect_deadline = steady::now() + options_.connect_timeout;
  link_ = l;
  ac->ev.data = l.get();
  ac->ev.addRead = hooks::add_read;
  ac->ev.delRead = hooks::del_read;
  ac->ev.addWrite = hooks::add_write;
  ac->ev.delWrite = hooks::del_write;
  ac->ev.cleanup = hooks::cleanup;
  redisAsyncSetConnectCallback(ac, hooks::on_connect);  // arms the first write wait
  redisAsyncSetDisconnectCallback(ac, hooks::on_disconnect);
  arm_watchdog(l);
}

void redis_connection::arm(std::shared_ptr<link> const& l) {
  if (!l->ctx) return;
  if (l->want_read && !l->read_armed) {
    l->read_armed = true;
    l->fd->async_wait(asio::posix::descriptor_base::wait_read, [self = shared_from_this(), l](boost::system::error_code ec) {
      l->read_armed = false;
      if (ec || !l->ctx || !l->want_read) return;
      redisAsyncHandleRead(l->ctx);
      self->arm(l);
    });
  }
  if (l->want_write && !l->write_armed) {
    l->write_armed = true;
    l->fd->async_wait(asio::posix::descriptor_base::wait_write, [self = shared_from_this(), l](boost::system::error_code ec) {
      l->write_armed = false;
      if (ec || !l->ctx || !l->want_write) return;
      redisAsyncHandleWrite(l->ctx);
      self->arm(l);
    });
  }
}

void redis_connection::on_connected(std::shared_ptr<link> const& l) {
  // Leave the hiredis callback before sending the first commands.
  asio::post(strand_, [self = shared_from_this(), l] { self->handshake(l); });
}

void redis_connection::handshake(std::shared_ptr<link> const& l) {
  if (l != link_ || !l->ctx) return;
  auto self = shared_from_this();
  auto check_durability = [self, l] {
    self->send(l, {"CONFIG", "GET", "appendonly", "appendfsync", "maxmemory-policy"},
               [self, l](boost::system::error_code ec, redis_reply reply) {
                 if (l != self->link_) return;
                 if (ec) return self->abort_link(l, errc::disconnected, "configuration check failed: " + reply.str);
                 std::string appendonly, appendfsync, policy;
                 for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
                   auto const& k = reply.elements[i].str;
                   auto const& v = reply.elements[i + 1].str;
                   if (k == "appendonly") appendonly = v;
                   else if (k == "appendfsync") appendfsync = v;
                   else if (k == "maxmemory-policy") policy = v;
                 }
                 if (self->options_.require_durability &&
                     (appendonly != "yes" || appendfsync != "always" || policy != "noeviction")) {
                   auto const detail = "appendonly=" + appendonly + " appendfsync=" + appendfsync +
                                       " maxmemory-policy=" + policy +
                                       " (needs yes/always/noeviction)";
                   self->set_error("Redis is not durable: " + detail);
                   self->on_event_("redis.not_durable", detail);
                   return self->abort_link(l, errc::not_durable, "not durable");
                 }
                 if (self->ever_ready_) self->reconnects_.fetch_add(1, std::memory_order_relaxed);
                 self->ever_ready_ = true;
                 self->attempt_ = 0;
                 self->set_error({});
                 self->ready_ = true;
                 self->on_event_("redis.ready", {});
               });
  };
  if (!options_.password) return check_durability();
  send(l, {"AUTH", *options_.password}, [self, l, check_durability](boost::system::error_code ec, redis_reply) {
    if (l != self->link_) return;
    if (ec) {
      self->set_error("Redis refused the password");
      return self->abort_link(l, errc::error_reply, "authentication failed");
    }
    check_durability();
  });
}

void redis_connection::on_lost(std::shared_ptr<link> const& l, std::string const& reason) {
  if (l->lost) return;
  l->lost = true;
  if (l != link_) return;
  link_.reset();
  bool const was_ready = ready_.exchange(false);
  if (!reason.empty() && reason != "not durable") set_error("Redis connection lost: " + reason);
  if (was_ready) on_event_("redis.disconnected", reason);
  if (!stopping_) schedule_reconnect();
}

void redis_connection::schedule_reconnect() {
  if (stopping_) return;
  auto delay = options_.reconnect_min * (1 << std::min(attempt_, 16));
  if (delay > options_.reconnect_max) delay = options_.reconnect_max;
  ++attempt_;
  // Full jitter in [delay/2, delay]: many instances must not reconnect in lockstep.
  auto const half = delay.count() / 2;
  delay = std::chrono::milliseconds(half + static_cast<long>(jitter_() % static_cast<unsigned long>(half + 1)));
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->connect();
  });
}

void redis_connection::execute(std::vector<std::string> args, reply_handler handler,
                               std::optional<std::chrono::milliseconds> timeout) {
  asio::post(strand_, [self = shared_from_this(), args = std::move(args), handler = std::move(handler), timeout]() mutable {
    if (!self->ready_ || !self->link_ || !self->link_->ctx) {
      auto const code = self->stopping_ ? errc::shutting_down : errc::not_connected;
      return asio::post(self->strand_, [h = std::move(handler), code] { h(code, {}); });
    }
    self->send(self->link_, args, std::move(handler), timeout);
  });
}

void redis_connection::send(std::shared_ptr<link> const& l, std::vector<std::string> const& args, reply_handler handler,
                            std::optional<std::chrono::milliseconds> timeout) {
  std::vector<char const*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto const& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (!l->ctx || redisAsyncCommandArgv(l->ctx, hooks::on_reply, nullptr, static_cast<int>(args.size()), argv.data(),
                                       lens.data()) != REDIS_OK) {
    return asio::post(strand_, [h = std::move(handler)] { h(errc::disconnected, {}); });
  }
  // Replies come in order, so only the oldest deadline matters; a blocking read
  // holds up later commands on this connection anyway.
  l->pending.push_back({std::move(handler), steady::now() + timeout.value_or(options_.command_timeout)});
  arm_watchdog(l);
}

void redis_connection::arm_watchdog(std::shared_ptr<link> const& l) {
  if (l != link_) return;
  auto next = steady::time_point::max();
  if (!l->connected) next = l->connect_deadline;
  else if (!l->pending.empty()) next = l->pending.front().deadline;
  if (next == steady::time_point::max()) return;
  if (watchdog_at_ != steady::time_point::max() && watchdog_at_ <= next) return;  // an earlier check is armed
  watchdog_at_ = next;
  watchdog_.expires_at(next);
  watchdog_.async_wait([self = shared_from_this(), l](boost::system::error_code ec) {
    if (ec) return;
    self->watchdog_at_ = steady::time_point::max();
    if (l != self->link_ || !l->ctx) return;
    auto const now = steady::now();
    if (!l->connected && now >= l->connect_deadline) return self->abort_link(l, errc::timeout, "connect timeout");
    if (!l->pending.empty() && now >= l->pending.front().deadline)
      return self->abort_link(l, errc::timeout, "command timeout");
    self->arm_watchdog(l);
  });
}

void redis_connection::abort_link(std::shared_ptr<link> l, errc why, std::string const& reason) {
  l->failure = why;
  if (l->ctx) redisAsyncFree(l->ctx);  // fails every pending command with `why`
  on_lost(l, reason);
}

} // namespace balie::queue
