#pragma once
// A connection the HTTP server hands over because its request asks for a
// WebSocket upgrade: the stream, bytes already read past the request, and
// the request itself. Beast types: include only where WebSockets are served.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace balie::server {

struct upgrade_request {
  boost::beast::tcp_stream stream;
  boost::beast::flat_buffer buffer;
  boost::beast::http::request<boost::beast::http::string_body> request;
  std::string remote_address;
};

} // namespace balie::server
