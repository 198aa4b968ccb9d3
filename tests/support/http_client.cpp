#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace balie::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct http_connection::impl {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
};

http_connection::http_connection(std::uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  impl_->socket.set_option(tcp::no_delay(true));
}

http_connection::~http_connection() = default;

http_reply http_connection::call(std::string const& method, std::string const& target,
                                 std::vector<std::pair<std::string, std::string>> const& headers, std::string const& body) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "127.0.0.1");
  for (auto const& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  http::write(impl_->socket, req, ec);
  http_reply out;
  if (ec) return out;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(impl_->socket, impl_->buffer, parser, ec);
  if (ec) return out;
  auto const& res = parser.get();
  out.status = res.result_int();
  for (auto const& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = res.body();
  return out;
}

http_reply http_call(std::uint16_t port, std::string const& method, std::string const& target,
                     std::vector<std::pair<std::string, std::string>> const& headers, std::string const& body) {
  try {
    http_connection c(port);
    return c.call(method, target, headers, body);
  } catch (std::exception const&) {
    return {};
  }
}

std::string raw_exchange(std::uint16_t port, std::string const& bytes, bool half_close) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(s, asio::buffer(bytes));
  if (half_close) s.shutdown(tcp::socket::shutdown_send);
  std::string out;
  beast::error_code ec;
  char buf[4096];
  for (;;) {
    auto const n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

struct stream_reader::impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
};

stream_reader::stream_reader(std::uint16_t port, std::string const& target,
                             std::vector<std::pair<std::string, std::string>> const& headers)
    : impl_(std::make_unique<impl>()) {
  impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (auto const& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  asio::write(impl_->stream.socket(), asio::buffer(req));
}

stream_reader::~stream_reader() = default;

bool stream_reader::wait_for(std::string const& text, std::chrono::milliseconds timeout) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (received_.find(text) == std::string::npos) {
    auto const left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return false;
    // Beast's timeouts apply to asynchronous operations only.
    impl_->stream.expires_after(left);
    beast::error_code ec;
    std::size_t n = 0;
    impl_->stream.async_read_some(asio::buffer(buf), [&](beast::error_code e, std::size_t k) { ec = e, n = k; });
    impl_->ioc.restart();
    impl_->ioc.run();
    if (ec) {
      ended_ = ec != beast::error::timeout;
      return false;
    }
    received_.append(buf, n);
  }
  return true;
}

} // namespace balie::test
