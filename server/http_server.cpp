// One session per connection on its own strand, after Beast's
// advanced_server: read the header with the idle timeout, let the admitter
// decide from the head alone (the route's body limit, the caller's token:
// a stranger's body is never read), check the declared body size against
// that limit before reading a byte of it, read the body with
// the request timeout, hand the request to the handler, and read the next
// request only after the response is written (one request in flight per
// connection, so a client cannot pile up work). Transport errors that the
// client can still hear get a problem+json answer; then the connection closes.
// A streaming response (server-sent events) writes its head, then whatever
// its source pushes, one write in flight and a bounded backlog; a read on
// the socket notices the client leaving. A file response (a download) is
// read and written 64 KiB at a time: memory does not grow with the file, and
// the write timeout applies to each part, so a slow reader that keeps
// reading is served to the end.
#include "server/http_server.hpp"

#include "server/http_upgrade.hpp"
#include "server/problem.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>

namespace balie::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class session;

struct http_server::state : std::enable_shared_from_this<http_server::state> {
  asio::io_context& ioc;
  http_limits limits;
  http_handler handler;
  http_error_responder error_response;
  upgrade_handler upgrade;
  exception_reporter on_exception;
  http_admitter admit;
  trusted_proxies proxies;
  tcp::acceptor acceptor;
  std::atomic<std::size_t> open{0};
  std::atomic<bool> closing{false};
  std::mutex sessions_mutex;
  std::list<std::weak_ptr<session>> sessions;
  std::unordered_map<std::string, std::size_t> per_address;  ///< open connections per peer (sessions_mutex)

  /// A share of max_connections per peer address, so that one address (a
  /// stranger holding event streams open) cannot lock everyone else out.
  /// Trusted proxies carry many residents' connections and have no share.
  bool take_place(std::string const& address) {
    if (proxies.contains(address)) return true;
    std::lock_guard lock(sessions_mutex);
    auto& n = per_address[address];
    if (n >= limits.max_connections_per_address) return false;
    ++n;
    return true;
  }
  void give_back(std::string const& address) {
    std::lock_guard lock(sessions_mutex);
    if (auto it = per_address.find(address); it != per_address.end() && --it->second == 0) per_address.erase(it);
  }

  state(asio::io_context& io, http_limits l, http_handler h, http_error_responder e, upgrade_handler u, exception_reporter x)
      : ioc(io), limits(l), handler(std::move(h)), error_response(std::move(e)), upgrade(std::move(u)),
        on_exception(x ? std::move(x) : [](std::string_view) {}), acceptor(asio::make_strand(io)) {}
  void accept();
  void on_accept(beast::error_code, tcp::socket);
};

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, std::shared_ptr<http_server::state> state, std::string counted_address)
      : stream_(std::move(socket)), state_(std::move(state)), counted_address_(std::move(counted_address)) {}
  ~session() {
    if (!counted_address_.empty()) state_->give_back(counted_address_);
    --state_->open;
  }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  /// Called from close_connections: idle sessions close now, busy ones after writing.
  void close_if_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_header_ || self->streaming_) self->shutdown();
    });
  }

  /// From any thread: queue a chunk of a streaming response.
  bool push(std::string chunk) {
    if (stream_closed_.load()) return false;
    asio::post(stream_.get_executor(), [self = shared_from_this(), chunk = std::move(chunk)]() mutable {
      if (self->stream_closed_) return;
      self->backlog_bytes_ += chunk.size();
      if (self->backlog_bytes_ > self->state_->limits.max_stream_backlog) return self->end_stream();
      self->backlog_.push_back(std::move(chunk));
      if (self->backlog_.size() == 1) self->write_chunk();
    });
    return true;
  }
  void end_stream_later() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->end_stream(); });
  }

private:
  void read_header() {
    if (state_->closing) return shutdown();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->limits.max_header_bytes));
    body_limit_ = state_->limits.max_body_bytes;
    parser_->body_limit(body_limit_);
    reading_header_ = true;
    stream_.expires_after(state_->limits.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->reading_header_ = false;
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
      return shutdown();
    if (ec == http::error::header_limit)
      return fail(431, "header-too-large", "The request headers are larger than the server accepts.");
    // Beast already compares a declared Content-Length with the body limit here.
    if (ec == http::error::body_limit || (!ec && parser_->content_length() &&
                                          *parser_->content_length() > state_->limits.max_body_bytes))
      return fail(413, "body-too-large",
                  "The request body is larger than " + std::to_string(state_->limits.max_body_bytes) + " bytes.");
    if (ec) return fail(400, "malformed-request", "The request is not valid HTTP/1.1.");
    if (!admit()) return;
    stream_.expires_after(state_->limits.read_timeout);
    auto const& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
        if (ec) return self->shutdown();
        self->read_body();
      });
    }
    read_body();
  }

  /// The route's body limit and its authentication, from the head alone: a
  /// stranger cannot make balied read (or an Expect client send) a body it
  /// will refuse. False: answered, and the connection closes.
  bool admit() {
    if (!state_->admit) return true;
    http_admission a;
    try {
      a = state_->admit(to_request(parser_->get()));
    } catch (std::exception const& e) {
      state_->on_exception(e.what());
      fail(500, "internal-error", "Something went wrong on our side. Try again later.");
      return false;
    }
    if (a.refusal) {
      keep_alive_ = false;
      a.refusal->close = true;
      write(std::move(*a.refusal));
      return false;
    }
    body_limit_ = std::min(a.max_body_bytes, state_->limits.max_body_bytes);
    if (parser_->content_length() && *parser_->content_length() > body_limit_) {
      fail(413, "body-too-large", "The request body is larger than " + std::to_string(body_limit_) + " bytes.");
      return false;
    }
    parser_->body_limit(body_limit_);
    return true;
  }

  template <class Fields>
  http_request to_request(http::request_header<Fields> const& msg) {
    http_request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto const q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (auto const& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    beast::error_code peer_error;
    auto const peer = stream_.socket().remote_endpoint(peer_error);
    if (!peer_error)
      req.remote_address = state_->proxies.client(peer.address().to_string(), req.header("x-forwarded-for"), req.header("forwarded"));
    return req;
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_body(ec);
    });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return fail(413, "body-too-large", "The request body is larger than " + std::to_string(body_limit_) + " bytes.");
    if (ec == beast::error::timeout) return fail(408, "request-timeout", "The request body did not arrive in time.");
    if (ec == http::error::partial_message || ec == http::error::end_of_stream)
      return fail(400, "truncated-body", "The connection ended before the whole request body arrived.");
    if (ec) return fail(400, "malformed-request", "The request body could not be read.");

    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    auto req = to_request(msg.base());
    if (beast::websocket::is_upgrade(msg) && state_->upgrade && !state_->closing) {
      // The connection leaves this server: the WebSocket side owns it from here.
      stream_.expires_never();
      auto up = std::shared_ptr<upgrade_request>(
          new upgrade_request{std::move(stream_), std::move(buffer_), std::move(msg), std::move(req.remote_address)});
      return state_->upgrade(std::move(req.path), std::move(up));
    }
    req.body = std::move(msg.body());
    stream_.expires_never();  // the handler may wait for Redis; its own timeouts apply
    // The answer is written once. If a handler throws, or drops its responder
    // without answering (an exception unwound the completion handler that held
    // it), the client hears 500 instead of waiting for ever.
    auto answer = std::make_shared<once_answer>(shared_from_this());
    try {
      state_->handler(std::move(req), [answer](http_response r) { answer->send(std::move(r)); });
    } catch (std::exception const& e) {
      state_->on_exception(e.what());
      answer->fail();
    } catch (...) {
      state_->on_exception("unknown exception");
      answer->fail();
    }
  }

  /// Posts the response to the session's strand, once.
  struct once_answer {
    explicit once_answer(std::shared_ptr<session> s) : session_(std::move(s)) {}
    ~once_answer() {
      try {
        fail();
      } catch (...) {  // out of memory while answering 500: the client's read times out instead
      }
    }
    void send(http_response r) {
      if (sent_.exchange(true)) return;
      asio::post(session_->stream_.get_executor(), [s = session_, r = std::move(r)]() mutable { s->write(std::move(r)); });
    }
    void fail() {
      if (sent_.load()) return;
      send(session_->state_->error_response(500, "internal-error", "Something went wrong on our side. Try again later."));
    }
    std::shared_ptr<session> session_;
    std::atomic<bool> sent_{false};
  };

  void fail(unsigned status, std::string type, std::string detail) {
    keep_alive_ = false;
    auto r = state_->error_response(status, std::move(type), std::move(detail));
    r.close = true;
    write(std::move(r));
  }

  void write(http_response r) {
    if (r.on_stream) return write_stream_head(std::move(r));
    if (!r.file.empty()) return write_file(std::move(r));
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::content_type, r.content_type);
    for (auto const& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !r.close && !state_->closing);
    res->prepare_payload();
    stream_.expires_after(state_->limits.write_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec) return self->shutdown();
      if (!res->keep_alive()) return self->linger();
      self->read_header();
    });
  }

  /// An open file and the part of it on its way to the client.
  struct file_part {
    int fd = -1;
    std::uint64_t left = 0;
    std::vector<char> buffer = std::vector<char>(std::size_t{64} * 1024);
    file_part() = default;
    file_part(file_part const&) = delete;
    file_part& operator=(file_part const&) = delete;
    ~file_part() {
      if (fd >= 0) ::close(fd);
    }
  };

  void write_file(http_response r) {
    auto part = std::make_shared<file_part>();
    part->fd = ::open(r.file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (part->fd < 0 || ::fstat(part->fd, &st) != 0 || !S_ISREG(st.st_mode))
      return write(state_->error_response(404, "not-found", "The file is no longer stored."));
    part->left = static_cast<std::uint64_t>(st.st_size);
    auto head = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(r.status), 11);
    head->set(http::field::content_type, r.content_type);
    for (auto const& [k, v] : r.headers) head->set(k, v);
    head->content_length(part->left);
    head->keep_alive(keep_alive_ && !r.close && !state_->closing);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    stream_.expires_after(state_->limits.write_timeout);
    http::async_write_header(stream_, *serializer, [self = shared_from_this(), head, serializer, part](beast::error_code ec, std::size_t) {
      if (ec) return self->shutdown();
      self->write_file_part(part, head->keep_alive());
    });
  }
  void write_file_part(std::shared_ptr<file_part> part, bool keep_alive) {
    if (part->left == 0) {
      if (!keep_alive) return linger();
      return read_header();
    }
    auto const want = static_cast<std::size_t>(std::min<std::uint64_t>(part->left, part->buffer.size()));
    auto const got = ::read(part->fd, part->buffer.data(), want);
    if (got <= 0) return shutdown();  // the file shrank: the client sees a short body and knows
    part->left -= static_cast<std::uint64_t>(got);
    stream_.expires_after(state_->limits.write_timeout);
    asio::async_write(stream_, asio::buffer(part->buffer.data(), static_cast<std::size_t>(got)),
                      [self = shared_from_this(), part, keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return self->shutdown();
                        self->write_file_part(part, keep_alive);
                      });
  }

  void write_stream_head(http_response r);
  void write_chunk() {
    stream_.expires_after(state_->limits.write_timeout);
    asio::async_write(stream_, asio::buffer(backlog_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->stream_closed_) return self->end_stream();
      self->backlog_bytes_ -= self->backlog_.front().size();
      self->backlog_.pop_front();
      if (!self->backlog_.empty()) self->write_chunk();
      else self->stream_.expires_never();
    });
  }
  /// The client sends nothing on an event stream; a read ends when it leaves.
  void watch_stream() {
    discard_ = std::make_shared<std::array<char, 4096>>();
    stream_.socket().async_read_some(asio::buffer(*discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->end_stream();
      self->watch_stream();
    });
  }
  /// The backlog stays until the session goes: a write in flight still reads
  /// its front chunk, and its completion (queued behind this) sees the flag.
  void end_stream() {
    if (stream_closed_.exchange(true)) return;
    shutdown();
  }

  /// Closing a socket with unread input makes the kernel send a reset, which
  /// can destroy the answer we just wrote (a 413 or 431 the client never
  /// sees). So: stop sending, read and discard what is still coming for a
  /// short while, then close.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(linger_time);
    discard_ = std::make_shared<std::array<char, 4096>>();
    drain();
  }
  void drain() {
    stream_.async_read_some(boost::asio::buffer(*discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->stream_.close();
      self->drain();
    });
  }

  void shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // unbounded here: the parser's header and body limits bound it
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http_server::state> state_;
  std::string counted_address_;  ///< the peer whose share this connection holds ("" : none)
  bool keep_alive_ = true;
  std::size_t body_limit_ = 0;  ///< this request's, set by admit()
  bool reading_header_ = false;
  bool streaming_ = false;
  std::atomic<bool> stream_closed_{false};
  std::deque<std::string> backlog_;
  std::size_t backlog_bytes_ = 0;
  std::shared_ptr<std::array<char, 4096>> discard_;
  /// Long enough for a client to read an error answer, short enough not to hold sockets.
  static constexpr std::chrono::seconds linger_time{2};
};

namespace {
class session_stream final : public http_stream {
public:
  explicit session_stream(std::weak_ptr<session> s) : session_(std::move(s)) {}
  ~session_stream() override {
    try {
      close();
    } catch (...) {  // out of memory: the session ends when its socket does
    }
  }
  bool push(std::string chunk) override {
    auto s = session_.lock();
    return s && s->push(std::move(chunk));
  }
  void close() override {
    if (auto s = session_.lock()) s->end_stream_later();
  }

private:
  std::weak_ptr<session> session_;
};
} // namespace

void session::write_stream_head(http_response r) {
  auto res = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(r.status), 11);
  res->set(http::field::content_type, r.content_type);
  for (auto const& [k, v] : r.headers) res->set(k, v);
  res->keep_alive(false);
  auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
  streaming_ = true;
  stream_.expires_after(state_->limits.write_timeout);
  http::async_write_header(stream_, *sr, [self = shared_from_this(), res, sr, start = std::move(r.on_stream)](beast::error_code ec,
                                                                                                           std::size_t) {
    if (ec) return self->end_stream();
    self->stream_.expires_never();
    self->watch_stream();
    start(std::make_shared<session_stream>(self));
  });
}

void http_server::state::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void http_server::state::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (!ec) {
    beast::error_code peer_error;
    auto const peer = socket.remote_endpoint(peer_error);
    auto const address = peer_error ? std::string() : peer.address().to_string();
    if (open.load() >= limits.max_connections || address.empty() || !take_place(address)) {
      beast::error_code ignored;
      socket.close(ignored);  // over the limit: refuse rather than degrade everyone
    } else {
      ++open;
      // Answers are written whole; Nagle would only hold back their last segment.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto s = std::make_shared<session>(std::move(socket), shared_from_this(), proxies.contains(address) ? "" : address);
      {
        std::lock_guard lock(sessions_mutex);
        // Prune dead entries now and then, not on every accept.
        if (sessions.size() > 2 * open.load() + 64) sessions.remove_if([](auto const& w) { return w.expired(); });
        sessions.push_back(s);
      }
      s->run();
    }
  }
  accept();
}

http_server::http_server(asio::io_context& ioc, http_limits limits, http_handler handler, http_error_responder errors,
                         upgrade_handler upgrade, exception_reporter on_exception)
    : state_(std::make_shared<state>(ioc, limits, std::move(handler), std::move(errors), std::move(upgrade),
                                     std::move(on_exception))) {}

http_server::~http_server() {
  try {
    stop_accepting();
  } catch (...) {  // out of memory at exit: the acceptor closes with the io_context
  }
}

boost::system::error_code http_server::listen(std::string const& address, std::uint16_t port) {
  boost::system::error_code ec;
  auto const ip = asio::ip::make_address(address, ec);
  if (ec) return ec;
  tcp::endpoint const endpoint(ip, port);
  auto& a = state_->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return ec;
  if (a.set_option(asio::socket_base::reuse_address(true), ec); ec) return ec;
  if (a.bind(endpoint, ec); ec) return ec;
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec) return ec;
  asio::dispatch(a.get_executor(), [s = state_] { s->accept(); });
  return {};
}

void http_server::admit_with(http_admitter a) { state_->admit = std::move(a); }
void http_server::trust_proxies(trusted_proxies p) { state_->proxies = std::move(p); }

std::uint16_t http_server::port() const {
  boost::system::error_code ec;
  return state_->acceptor.local_endpoint(ec).port();
}

void http_server::stop_accepting() {
  asio::dispatch(state_->acceptor.get_executor(), [s = state_] {
    boost::system::error_code ignored;
    s->acceptor.close(ignored);
  });
}

void http_server::close_connections() {
  state_->closing = true;
  // Collected under the lock, closed and let go outside it: the last reference to a
  // session may be one of these, and its destructor takes the same lock.
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard lock(state_->sessions_mutex);
    for (auto const& w : state_->sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto const& s : live) s->close_if_idle();
}

std::size_t http_server::connections() const { return state_->open.load(); }

void refuse_upgrade(std::shared_ptr<upgrade_request> up, http_response p) {
  add_standard_headers(p);
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(p.status), 11);
  res->set(http::field::content_type, p.content_type);
  for (auto const& [k, v] : p.headers) res->set(k, v);
  res->body() = p.body;
  res->keep_alive(false);
  res->prepare_payload();
  auto holder = std::move(up);
  holder->stream.expires_after(std::chrono::seconds(10));
  http::async_write(holder->stream, *res, [holder, res](beast::error_code, std::size_t) {
    beast::error_code ignored;
    holder->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  });
}

} // namespace balie::server
