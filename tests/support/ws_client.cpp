#include "tests/support/ws_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace balie::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool open = false;
};

ws_client::ws_client(std::uint16_t port, std::string const& origin, std::string const& target) : impl_(std::make_unique<impl>()) {
  beast::get_lowest_layer(impl_->ws).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  impl_->ws.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
    if (!origin.empty()) req.set(beast::http::field::origin, origin);
  }));
  websocket::response_type res;
  beast::error_code ec;
  impl_->ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
  if (ec) refused_status_ = res.result_int() ? res.result_int() : 1;
  else impl_->open = true;
}

ws_client::~ws_client() = default;

bool ws_client::send(std::string const& text) {
  if (!impl_->open) return false;
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
  return !ec;
}

bool ws_client::send_binary(std::string const& bytes) {
  if (!impl_->open) return false;
  beast::error_code ec;
  impl_->ws.binary(true);
  impl_->ws.write(asio::buffer(bytes), ec);
  return !ec;
}

std::optional<std::string> ws_client::receive(std::chrono::milliseconds timeout) {
  if (!impl_->open) return std::nullopt;
  beast::error_code ec;
  bool done = false;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code e, std::size_t) { ec = e, done = true; });
  impl_->ioc.restart();
  impl_->ioc.run_for(timeout);
  if (!done) {  // timed out: give up the read and the connection
    beast::get_lowest_layer(impl_->ws).close();
    impl_->ioc.restart();
    impl_->ioc.run();
    impl_->open = false;
    return std::nullopt;
  }
  if (ec) {
    impl_->open = false;
    if (ec == websocket::error::closed) close_code_ = impl_->ws.reason().code;
    return std::nullopt;
  }
  auto out = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return out;
}

void ws_client::close() {
  if (!impl_->open) return;
  beast::error_code ec;
  impl_->ws.close(websocket::close_code::normal, ec);
  impl_->open = false;
}

} // namespace balie::test
