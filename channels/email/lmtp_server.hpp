#pragma once
// The LMTP listener the municipality's MTA delivers to (RFC 2033): the
// protocol is channels/email/lmtp_session, this is its socket shell. Each
// accepted recipient gets its own reply after DATA: 250 only once the mail
// is durable, 451 while it cannot be made so (the MTA keeps it and tries
// again). Listen on loopback or a private network only: LMTP has no
// authentication.

#include "channels/email/email_intake.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

namespace balie::email {

class lmtp_server {
public:
  lmtp_server(boost::asio::io_context&, std::shared_ptr<email_intake>, email_config const&);
  ~lmtp_server();

  boost::system::error_code listen(std::string const& address, std::uint16_t port);
  std::uint16_t port() const;
  void stop_accepting();
  /// Tells every open connection 421 and closes it (after its current mail).
  void close_connections();
  std::size_t connections() const { return open_->load(); }

  class connection;

private:
  void accept();

  boost::asio::io_context& ioc_;
  std::shared_ptr<email_intake> intake_;
  email_config config_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<std::atomic<std::size_t>> open_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::mutex live_mutex_;
  std::set<std::weak_ptr<connection>, std::owner_less<>> live_;  ///< for close_connections
};

} // namespace balie::email
