// One connection: read → session.feed → write replies; a finished message
// goes to email_intake and the session waits (reads continue only after
// the per-recipient replies are written, so pipelined input stays in order).
// Every read has the idle timeout; a connection over the limit hears 421.
#include "channels/email/lmtp_server.hpp"

#include "channels/email/lmtp_session.hpp"
#include "server/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace balie::email {
using namespace server;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// One read takes at most this much; the session buffers the rest of a mail.
constexpr std::size_t read_buffer_bytes = 64 * 1024;

class lmtp_server::connection : public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket socket, std::shared_ptr<email_intake> intake, email_config const& cfg,
             std::shared_ptr<std::atomic<std::size_t>> open)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), intake_(std::move(intake)), idle_(cfg.lmtp_idle_timeout),
        open_(std::move(open)),
        session_(settings(cfg, intake_)) {
    ++*open_;
  }
  ~connection() { --*open_; }

  /// A connection already told 421 (over the limit) gets no greeting after it.
  void start() {
    if (!closing_) write(session_.greeting(), false);
  }
  asio::any_io_executor executor() { return socket_.get_executor(); }

  void shut(std::string_view why) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), why = std::string(why)] {
      self->closing_ = true;
      // One write at a time: a write in flight or a mail being stored says goodbye when it is done.
      if (!self->busy_ && !self->writing_) self->write(self->session_.goodbye(why), true);
    });
  }

private:
  static email::lmtp_settings settings(email_config const& cfg, std::shared_ptr<email_intake> const& intake) {
    email::lmtp_settings s;
    s.hostname = cfg.domain;
    s.max_message_bytes = cfg.max_message_bytes;
    s.accepts_recipient = [intake](std::string_view rcpt) { return intake->accepts(rcpt); };
    return s;
  }

  void read() {
    timer_.expires_after(idle_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->write(self->session_.goodbye("idle too long"), true);
    });
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      self->timer_.cancel();
      if (ec) return self->close();
      self->handle(self->session_.feed(std::string_view(self->buffer_.data(), n)));
    });
  }

  void handle(email::lmtp_output out) {
    if (!out.message) return write(std::move(out.replies), out.close);
    // Replies so far first, then the mail; the session holds further input meanwhile.
    busy_ = true;
    auto message = std::make_shared<email::lmtp_message>(std::move(*out.message));
    if (out.replies.empty()) return deliver(message);
    auto const data = keep(std::move(out.replies));
    writing_ = true;
    asio::async_write(socket_, asio::buffer(*data), [self = shared_from_this(), data, message](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->close();  // no reply reached the MTA: it keeps the mail and tries again
      self->deliver(message);
    });
  }

  void deliver(std::shared_ptr<email::lmtp_message> message) {
    auto const stored = [self = shared_from_this(), recipients = message->recipients](mail_result r) {
      std::vector<std::string> replies;
      for (auto const& rcpt : recipients) {
        if (!r)
          replies.push_back("451 4.3.0 <" + rcpt + "> Temporary failure, try again later");
        else if (r->what == mail_receipt::kind::bounce_recorded)
          replies.push_back("250 2.0.0 <" + rcpt + "> Delivery report recorded");
        else
          replies.push_back("250 2.0.0 <" + rcpt + "> Stored as " + r->reference);
      }
      asio::post(self->socket_.get_executor(), [self, replies = std::move(replies)] {
        self->busy_ = false;
        self->handle(self->session_.finish(replies));
      });
    };
    email::mail_envelope envelope{message->sender, message->recipients};
    intake_->deliver(std::move(message->data), std::move(envelope), "lmtp", {}, stored);
  }

  std::shared_ptr<std::string> keep(std::string s) { return std::make_shared<std::string>(std::move(s)); }

  void write(std::string replies, bool close_after) {
    if (replies.empty()) {
      if (close_after) return close();
      if (closing_) return write(session_.goodbye("shutting down"), true);
      return read();
    }
    auto const data = keep(std::move(replies));
    writing_ = true;
    asio::async_write(socket_, asio::buffer(*data), [self = shared_from_this(), data, close_after](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec || close_after) return self->close();
      if (self->closing_) return self->write(self->session_.goodbye("shutting down"), true);
      self->read();
    });
  }

  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<email_intake> intake_;
  std::chrono::seconds idle_;
  std::shared_ptr<std::atomic<std::size_t>> open_;
  email::lmtp_session session_;
  std::array<char, read_buffer_bytes> buffer_{};
  bool busy_ = false;     ///< a mail is being stored
  bool writing_ = false;  ///< a write is in flight
  bool closing_ = false;
};

lmtp_server::lmtp_server(asio::io_context& ioc, std::shared_ptr<email_intake> intake, email_config const& cfg)
    : ioc_(ioc), intake_(std::move(intake)), config_(cfg), acceptor_(ioc) {}

lmtp_server::~lmtp_server() = default;

boost::system::error_code lmtp_server::listen(std::string const& address, std::uint16_t port) {
  boost::system::error_code ec;
  auto const ip = asio::ip::make_address(address, ec);
  if (ec) return ec;
  tcp::endpoint const ep(ip, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) accept();
  return ec;
}

std::uint16_t lmtp_server::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void lmtp_server::accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      // Replies are small and answer the MTA's next step: never hold one back for Nagle.
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto c = std::make_shared<connection>(std::move(socket), intake_, config_, open_);
      if (open_->load() > config_.lmtp_max_connections) {
        c->shut("too many connections");
      } else {
        std::lock_guard lock(live_mutex_);
        std::erase_if(live_, [](auto const& w) { return w.expired(); });
        live_.insert(c);
      }
      asio::post(c->executor(), [c] { c->start(); });
    }
    accept();
  });
}

void lmtp_server::stop_accepting() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void lmtp_server::close_connections() {
  std::lock_guard lock(live_mutex_);
  for (auto const& w : live_)
    if (auto c = w.lock()) c->shut("shutting down");
}

} // namespace balie::email
