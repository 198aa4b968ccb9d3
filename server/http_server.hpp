#pragma once
// The HTTP/1.1 server. Beast stays inside http_server.cpp: handlers see only
// the plain request/response types of http_message.hpp, so the rest of
// balied compiles without Beast's headers.

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "server/client_address.hpp"
#include "server/http_message.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace balie::server {

/// Turns a parse failure of the transport into a response (413, 431, 400, 408).
using http_error_responder = std::function<http_response(unsigned status, std::string type, std::string detail)>;

/// A WebSocket upgrade request and its connection (server/http_upgrade.hpp).
struct upgrade_request;
/// Takes over connections that ask for a WebSocket upgrade (to `path`); without one they get 404.
using upgrade_handler = std::function<void(std::string path, std::shared_ptr<upgrade_request>)>;
/// Answers an upgrade request with a plain HTTP response (standard headers added), then closes it.
void refuse_upgrade(std::shared_ptr<upgrade_request>, http_response);

/// Told about an exception that escaped a handler (it was answered with 500).
using exception_reporter = std::function<void(std::string_view what)>;

class http_server {
public:
  http_server(boost::asio::io_context&, http_limits, http_handler, http_error_responder, upgrade_handler = {},
              exception_reporter = {});
  ~http_server();

  /// Before listen: without one, every request may send up to the global limit.
  void admit_with(http_admitter);
  /// Before listen: whose forwarding headers name the client (`remote_address`).
  void trust_proxies(trusted_proxies);
  boost::system::error_code listen(std::string const& address, std::uint16_t port);
  std::uint16_t port() const;
  void stop_accepting();
  /// Closes idle connections now and busy ones after their response.
  void close_connections();
  std::size_t connections() const;

  struct state;

private:
  std::shared_ptr<state> state_;
};

} // namespace balie::server
