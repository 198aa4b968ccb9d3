// One resident's WebSocket, on the strand of its connection. The first
// frame must be `hello` within the handshake time; then the conversation is
// replayed from the client's last seq and the socket listens for wakes.
// Reads are limited to 64 KiB per message (1009 above), Beast rejects
// invalid UTF-8 (1007), compression stays off, and the server pings every
// 30 s and drops a connection silent for 60 s. Writes: one in flight, a
// bounded queue; a resident who cannot keep up is closed with 1013 and
// resumes later from the log (entries are read only as the queue has room,
// so a long replay never counts as slow). Each connection has a token bucket for
// messages; emptying it gets an error frame, and a connection that keeps
// sending anyway is closed with 4429.
#include "channels/webchat/chat_socket.hpp"

#include "channels/webchat/protocol.hpp"
#include "server/token_bucket.hpp"
#include "channels/webchat/chat_service.hpp"
#include "server/http_upgrade.hpp"
#include "server/log.hpp"
#include "server/problem.hpp"
#include "queue/errc.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>

namespace balie::webchat {
using namespace server;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr int heartbeat_s = 30;
constexpr std::chrono::seconds hello_time{10};
/// Errors in a row before a flooding connection is closed.
constexpr int max_rate_errors = 20;

/// Answers an upgrade we refuse with a plain HTTP problem, then closes.
void refuse(std::shared_ptr<upgrade_request> up, unsigned status, std::string type, std::string detail) {
  refuse_upgrade(std::move(up), problem(status, type, detail));
}

class chat_socket : public chat_listener, public std::enable_shared_from_this<chat_socket> {
public:
  chat_socket(std::shared_ptr<upgrade_request> up, std::shared_ptr<chat_service> service, exception_reporter report)
      : ws_(std::move(up->stream)), request_(std::move(up->request)), address_(std::move(up->remote_address)),
        service_(std::move(service)), hello_timer_(ws_.get_executor()),
        bucket_(service_->current_config()->messages_per_second, service_->current_config()->message_burst),
        max_pending_(service_->current_config()->max_pending_frames),
        slow_reader_(service_->current_config()->slow_reader), report_(std::move(report)) {}
  ~chat_socket() override {
    service_->release(address_);
    if (listener_id_) service_->detach(listener_id_);
  }

  void run() {
    ws_.read_message_max(webchat::max_frame_bytes);
    ws_.auto_fragment(false);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = hello_time;
    t.idle_timeout = std::chrono::seconds(2 * heartbeat_s);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "balied"); }));
    ws_.async_accept(request_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->hello_timer_.expires_after(hello_time);
      self->hello_timer_.async_wait([self](boost::system::error_code ec) {
        if (!ec && self->conversation_.empty()) self->close(webchat::close_code::policy, "hello expected");
      });
      self->read();
    });
  }

  void wake() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->catch_up(); });
  }
  void case_closed(std::string const& case_id) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), case_id] {
      if (case_id == self->session_.case_id) self->write(webchat::notice_frame("case-closed", ""));
    });
  }
  void going_away() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->close(webchat::close_code::going_away, "server stopping"); });
  }

private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {  // closed, timed out, too big (1009), not UTF-8 (1007): Beast has answered
        self->hello_timer_.cancel();
        return;
      }
      if (!self->ws_.got_text()) return self->close(webchat::close_code::policy, "text frames only");
      auto const frame = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      // Safety net: a frame that makes the dispatcher throw closes this socket
      // with 1011, is logged and counted; the process and other sockets live on.
      try {
        self->on_frame(frame);
      } catch (std::exception const& e) {
        self->report_(e.what());
        return self->close(webchat::close_code::internal_error, "internal error");
      } catch (...) {
        self->report_("unknown exception");
        return self->close(webchat::close_code::internal_error, "internal error");
      }
      if (!self->closing_) self->read();
    });
  }

  void on_frame(std::string const& frame) {
    auto parsed = webchat::parse_client_frame(frame);
    if (!parsed) {
      // Before hello, anything else is a protocol violation.
      if (conversation_.empty()) return close(webchat::close_code::policy, "hello expected");
      return write(webchat::error_frame(parsed.error().type));
    }
    if (auto* h = std::get_if<webchat::hello>(&*parsed)) {
      if (!conversation_.empty() || hello_pending_) return close(webchat::close_code::policy, "hello twice");
      return on_hello(*h);
    }
    auto const& m = std::get<webchat::resident_message>(*parsed);
    if (conversation_.empty()) return close(webchat::close_code::policy, "hello expected");
    auto const now = std::chrono::steady_clock::now();
    if (!bucket_.take(now) || !service_->allow_message(address_)) {
      if (++rate_errors_ > max_rate_errors) return close(webchat::close_code::rate_limited, "too many messages");
      return write(webchat::error_frame("rate-limited", bucket_.wait_seconds(now)));
    }
    rate_errors_ = 0;
    service_->send(session_, token_, m.client_id, m.text,
                   [self = shared_from_this(), client_id = m.client_id](boost::system::error_code ec, submit_result r) {
                     asio::post(self->ws_.get_executor(), [self, ec, r, client_id] {
                       if (ec == queue::errc::session_ended) return self->close(webchat::close_code::session_expired, "session expired");
                       // Not durable: no ack; the client resends after reconnecting.
                       if (ec) return self->write(webchat::error_frame("temporarily-unavailable", 5));
                       self->write(webchat::ack_frame(client_id, r.seq, r.message_id));
                     });
                   });
  }

  void on_hello(webchat::hello const& h) {
    hello_pending_ = true;
    token_ = h.token;
    service_->authenticate(h.token, [self = shared_from_this(), last = h.last_seq](boost::system::error_code ec,
                                                                                   std::optional<queue::chat_session> s, bool expired) {
      asio::post(self->ws_.get_executor(), [self, ec, s, expired, last] {
        self->hello_pending_ = false;
        if (ec) return self->close(webchat::close_code::try_again_later, "try again");
        if (!s) return self->close(webchat::close_code::unauthorized, "unknown session");
        if (expired) return self->close(webchat::close_code::session_expired, "session expired");
        self->hello_timer_.cancel();
        self->session_ = *s;
        self->conversation_ = s->conversation_id;
        self->cursor_ = last;
        self->listener_id_ = self->service_->attach(self->conversation_, self->weak_from_this());
        self->service_->read_log(self->conversation_, last, 1,
                                 [self, last](boost::system::error_code ec, std::vector<webchat::conversation_entry>, std::int64_t last_seq) {
                                   asio::post(self->ws_.get_executor(), [self, ec, last_seq, last] {
                                     if (ec) return self->close(webchat::close_code::try_again_later, "try again");
                                     self->write(webchat::welcome_frame(self->conversation_, last_seq, heartbeat_s));
                                     if (last_seq - last > static_cast<std::int64_t>(webchat::max_replay)) {
                                       self->cursor_ = last_seq;
                                       self->write(webchat::resync_frame());
                                     }
                                     if (auto const status = self->service_->status(); !status.open)
                                       self->write(webchat::notice_frame("closed", status.notice));
                                     self->catch_up();
                                   });
                                 });
      });
    });
  }

  /// New entries of the conversation: read after the cursor, as many as the
  /// write queue has room for, and send them in order; the rest follows as
  /// the resident's client reads. A client that has not taken a frame for
  /// `slow_reader` while more is waiting is closed with 1013.
  void catch_up() {
    if (conversation_.empty() || closing_) return;
    if (fetching_) {
      wake_again_ = true;
      return;
    }
    auto const room = max_pending_ > queue_.size() ? max_pending_ - queue_.size() : 0;
    if (room == 0) {
      wake_again_ = true;
      if (std::chrono::steady_clock::now() - front_since_ > slow_reader_) {
        log::info("webchat.slow_reader", {{"case_id", session_.case_id}});
        close(webchat::close_code::try_again_later, "reader too slow");
      }
      return;
    }
    fetching_ = true;
    wake_again_ = false;
    service_->read_log(conversation_, cursor_, room,
                       [self = shared_from_this(), room](boost::system::error_code ec, std::vector<webchat::conversation_entry> entries,
                                                         std::int64_t) {
                         asio::post(self->ws_.get_executor(), [self, ec, entries = std::move(entries), room] {
                           self->fetching_ = false;
                           if (ec) return;
                           self->send_entries(entries);
                           if (entries.size() == room || std::exchange(self->wake_again_, false)) self->catch_up();
                         });
                       });
  }

  void send_entries(std::vector<webchat::conversation_entry> const& entries) {
    for (auto const& e : entries) {
      if (e.seq <= cursor_) continue;
      cursor_ = e.seq;
      write(webchat::msg_frame(e));
      if (e.from == "staff") service_->delivered(session_.case_id, e.id);
    }
  }

  /// Entries only come as the queue has room; answers (ack, error) may go past it, up to twice.
  void write(std::string frame) {
    if (closing_) return;
    if (queue_.size() >= 2 * max_pending_) return close(webchat::close_code::try_again_later, "reader too slow");
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1) write_next();
  }

  void write_next() {
    ws_.text(true);
    front_since_ = std::chrono::steady_clock::now();
    ws_.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->queue_.pop_front();
      if (self->pending_close_ && self->queue_.empty()) return self->send_close();
      if (!self->queue_.empty()) self->write_next();
      if (self->wake_again_ && !self->closing_) self->catch_up();
    });
  }

  /// Closes after what is already queued has been written (or at once when too slow).
  void close(std::uint16_t code, char const* reason) {
    if (closing_) return;
    closing_ = true;
    close_reason_.code = code;
    close_reason_.reason = reason;
    if (code == webchat::close_code::try_again_later || queue_.empty()) {
      if (!queue_.empty()) {  // a write is in flight: close when it finishes, drop the rest
        queue_.resize(1);
        pending_close_ = true;
        return;
      }
      return send_close();
    }
    pending_close_ = true;
  }

  void send_close() {
    hello_timer_.cancel();
    ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::string address_;
  std::shared_ptr<chat_service> service_;
  asio::steady_timer hello_timer_;
  server::token_bucket bucket_;
  std::size_t max_pending_;
  std::chrono::steady_clock::duration slow_reader_;
  std::chrono::steady_clock::time_point front_since_{};
  int rate_errors_ = 0;
  std::string token_;
  queue::chat_session session_;
  std::string conversation_;
  std::int64_t cursor_ = 0;
  std::uint64_t listener_id_ = 0;
  exception_reporter report_;
  bool hello_pending_ = false, fetching_ = false, wake_again_ = false, closing_ = false, pending_close_ = false;
  std::deque<std::string> queue_;
  websocket::close_reason close_reason_;
};

} // namespace

void serve_chat_socket(std::shared_ptr<upgrade_request> up, std::shared_ptr<chat_service> service, exception_reporter report) {
  if (up->request.target() != "/api/v1/chat/ws")
    return refuse(std::move(up), 404, "not-found", "There is no WebSocket at this path.");
  auto const origin = std::string(up->request[http::field::origin]);
  if (!service->origin_allowed(origin))
    return refuse(std::move(up), 403, "origin-not-allowed", "This page may not open the chat.");
  if (!service->enabled())
    return refuse(std::move(up), 503, "chat-closed", "The chat is switched off. Leave a message instead.");
  if (!service->admit(up->remote_address))
    return refuse(std::move(up), 429, "too-many-connections", "Too many chat connections from this address, or in all.");
  std::make_shared<chat_socket>(std::move(up), std::move(service), std::move(report))->run();
}

} // namespace balie::webchat
