// The HTTP server in-process, without balied: the streaming-response
// lifecycle, where a close can overtake a write in flight, and file responses.
#include "server/http_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/redis_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

#include <array>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using namespace balie::server;
using balie::test::http_call;

namespace {
struct running_server {
  asio::io_context ioc;
  std::unique_ptr<http_server> server;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{ioc.get_executor()};

  explicit running_server(http_handler handler, std::chrono::milliseconds write_timeout = std::chrono::seconds(30)) {
    http_limits limits{16 * 1024, 64 * 1024, std::chrono::seconds(5), std::chrono::seconds(5), 64};
    limits.write_timeout = write_timeout;
    limits.max_stream_backlog = 64 << 20;
    server = std::make_unique<http_server>(ioc, limits, std::move(handler), [](unsigned status, std::string type, std::string) {
      http_response r;
      r.status = status;
      r.body = type;
      return r;
    });
    REQUIRE(!server->listen("127.0.0.1", 0));
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
  }
  ~running_server() {
    server->stop_accepting();
    server->close_connections();
    work.reset();
    ioc.stop();
    for (auto& t : threads) t.join();
  }
};
} // namespace

TEST_CASE("an event stream closed while a chunk is being written ends cleanly, and the server lives on") {
  std::promise<void> closed;
  std::size_t size = 0;
  running_server s([&](http_request req, http_responder respond) {
    http_response r;
    if (req.path == "/alive") {
      r.body = "yes";
      return respond(std::move(r));
    }
    r.content_type = "text/event-stream";
    r.on_stream = [&](std::shared_ptr<http_stream> stream) {
      // The write of the first chunk completes while the close is queued
      // before its completion: the completion must not touch what the
      // close released.
      CHECK(stream->push(": first\n\n"));
      CHECK(stream->push(std::string(size, 'x')));
      stream->close();
      closed.set_value();
    };
    respond(std::move(r));
  });
  for (int round = 0; round < 40; ++round) {
    size = round % 2 ? 16 : 8 << 20;  // small and larger than the socket buffers
    closed = {};
    asio::io_context client_io;
    asio::ip::tcp::socket client(client_io);
    client.connect({asio::ip::make_address("127.0.0.1"), s.server->port()});
    asio::write(client, asio::buffer(std::string("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")));
    closed.get_future().wait();
    std::string got;
    boost::system::error_code ec;
    asio::read(client, asio::dynamic_buffer(got), ec);  // until the server closes
    CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
    CHECK(got.starts_with("HTTP/1.1 200"));
    CHECK(http_call(s.server->port(), "GET", "/alive").body == "yes");
  }
}

TEST_CASE("a file response goes out whole to a reader slower than the write timeout, part by part; a missing file is 404") {
  balie::test::temp_dir dir;
  std::string content(16 << 20, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 % 251);
  std::ofstream(dir.path / "file.bin", std::ios::binary) << content;
  running_server s(
      [&](http_request req, http_responder respond) {
        http_response r;
        r.content_type = "application/octet-stream";
        r.file = dir.path / (req.path == "/file" ? "file.bin" : "gone.bin");
        respond(std::move(r));
      },
      std::chrono::milliseconds(1000));

  asio::io_context client_io;
  asio::ip::tcp::socket client(client_io);
  client.connect({asio::ip::make_address("127.0.0.1"), s.server->port()});
  client.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  asio::write(client, asio::buffer(std::string("GET /file HTTP/1.1\r\nHost: t\r\n\r\n")));
  // The whole transfer takes several times the write timeout; no single part waits that long.
  std::string got;
  std::array<char, 64 * 1024> part{};
  auto const head_end = [&] { return got.find("\r\n\r\n"); };
  while (head_end() == std::string::npos || got.size() < head_end() + 4 + content.size()) {
    boost::system::error_code ec;
    auto const n = client.read_some(asio::buffer(part), ec);
    REQUIRE_MESSAGE(!ec, "the server stopped after " << got.size() << " bytes: " << ec.message());
    got.append(part.data(), n);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a slow reader, not a synchronisation
  }
  CHECK(got.starts_with("HTTP/1.1 200"));
  CHECK(got.find("Content-Length: " + std::to_string(content.size()) + "\r\n") != std::string::npos);
  CHECK(got.substr(head_end() + 4) == content);  // byte for byte, nothing after it

  // The connection stays usable, and a file that is gone is a 404.
  asio::write(client, asio::buffer(std::string("GET /other HTTP/1.1\r\nHost: t\r\n\r\n")));
  std::string second;
  boost::system::error_code ec;
  while (second.find("not-found") == std::string::npos && !ec) {
    auto const n = client.read_some(asio::buffer(part), ec);
    second.append(part.data(), n);
  }
  CHECK(second.starts_with("HTTP/1.1 404"));
}
