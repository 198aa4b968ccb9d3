// Web-chat benchmark (on demand; tests/bench/run-chat drives it):
//   --measure http: the baseline, balied's resident set growth per idle HTTP
//      keep-alive connection (after one request each);
//   --measure chat: the growth per open chat WebSocket (past hello), and the
//      push latency from a staff reply (POST .../replies) to the frame on the
//      resident's socket, against the reply request's own round trip.
// Each measurement wants a fresh balied: memory the allocator kept from the
// other one would hide part of the growth.
// Usage: chat_bench --measure http|chat --port P --pid PID [--redis-socket S] [--connections N] [--pushes K]
#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <hiredis/hiredis.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

struct socket_client {
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::string conversation;
  explicit socket_client(asio::io_context& ioc) : ws(ioc) {}
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

} // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  int pid = 0, connections = 10000, pushes = 200;
  std::string redis_socket, measure;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--measure")) measure = argv[i + 1];
    else if (!std::strcmp(argv[i], "--port")) port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--pid")) pid = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--connections")) connections = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--pushes")) pushes = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--redis-socket")) redis_socket = argv[i + 1];
  }
  if (!port || !pid || (measure != "http" && measure != "chat") || (measure == "chat" && redis_socket.empty())) {
    std::cerr << "usage: chat_bench --measure http|chat --port P --pid PID [--redis-socket S] [--connections N] [--pushes K]\n";
    return 2;
  }
  auto const origin = "http://127.0.0.1:" + std::to_string(port);
  tcp::endpoint const server(asio::ip::make_address("127.0.0.1"), port);
  asio::io_context ioc;

  if (measure == "http") {  // the baseline: idle HTTP keep-alive connections, each after one request
    long const before_http = rss_kib(pid);
    std::vector<tcp::socket> idle_http;
    std::string const request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char answer[2048];
    for (int i = 0; i < connections; ++i) {
      idle_http.emplace_back(ioc);
      idle_http.back().connect(server);
      asio::write(idle_http.back(), asio::buffer(request));
      if (idle_http.back().read_some(asio::buffer(answer)) < 12 || std::strncmp(answer, "HTTP/1.1 200", 12) != 0)
        return std::cerr << "healthz failed\n", 1;
    }
    long const with_http = rss_kib(pid);
    std::cout << json{{"connections", connections}, {"http_idle_kib_per_connection", static_cast<double>(with_http - before_http) / connections}}.dump()
              << "\n";
    return 0;
  }

  // 1. Chat sockets: a session each, upgraded, past hello (welcome received).
  balie::test::http_connection api(port);
  std::vector<std::string> tokens;
  std::vector<std::string> conversations;
  for (int i = 0; i < connections; ++i) {
    auto const r = api.call("POST", "/api/v1/chat/sessions", {{"Origin", origin}, {"Content-Type", "application/json"}}, "{}");
    if (r.status != 201) return std::cerr << "session failed: " << r.status << " " << r.body << "\n", 1;
    auto const j = json::parse(r.body);
    tokens.push_back(j["token"]);
    conversations.push_back(j["conversation_id"]);
  }
  long const before_ws = rss_kib(pid);
  std::vector<std::unique_ptr<socket_client>> sockets;
  int welcomed = 0, failed = 0;
  for (int i = 0; i < connections; ++i) {
    auto c = std::make_unique<socket_client>(ioc);
    c->conversation = conversations[static_cast<std::size_t>(i)];
    auto* p = c.get();
    auto const hello = json{{"v", 1}, {"type", "hello"}, {"token", tokens[static_cast<std::size_t>(i)]}, {"last_seq", 0}}.dump();
    beast::get_lowest_layer(p->ws).async_connect(server, [p, hello, origin, &welcomed, &failed](beast::error_code ec) {
      if (ec) return void(++failed);
      p->ws.set_option(websocket::stream_base::decorator([origin](websocket::request_type& r) { r.set(beast::http::field::origin, origin); }));
      p->ws.async_handshake("127.0.0.1", "/api/v1/chat/ws", [p, hello, &welcomed, &failed](beast::error_code ec) {
        if (ec) return void(++failed);
        auto msg = std::make_shared<std::string>(hello);
        p->ws.async_write(asio::buffer(*msg), [p, msg, &welcomed, &failed](beast::error_code ec, std::size_t) {
          if (ec) return void(++failed);
          p->ws.async_read(p->buffer, [p, &welcomed, &failed](beast::error_code ec, std::size_t) {
            if (ec) return void(++failed);
            p->buffer.consume(p->buffer.size());
            ++welcomed;
          });
        });
      });
    });
    sockets.push_back(std::move(c));
    if (i % 500 == 499) ioc.run_for(std::chrono::milliseconds(200));
  }
  while (welcomed + failed < connections) {
    ioc.restart();
    if (!ioc.run_for(std::chrono::seconds(30))) break;
  }
  long const with_ws = rss_kib(pid);

  // 2. Push latency: one resident message per conversation (so it has a case), then replies one at a time.
  redisContext* redis = redisConnectUnix(redis_socket.c_str());
  if (!redis || redis->err) return std::cerr << "redis connect failed\n", 1;
  std::vector<double> push_ms, post_ms;
  pushes = std::min(pushes, welcomed);
  for (int i = 0; i < pushes; ++i) {
    auto& c = *sockets[static_cast<std::size_t>(i)];
    auto const send = json{{"v", 1}, {"type", "message"}, {"client_id", "b" + std::to_string(i)}, {"text", "Vraag"}}.dump();
    c.ws.text(true);
    c.ws.write(asio::buffer(send));
    for (int frames = 0; frames < 2; ++frames) {  // the ack and the echo of entry 1
      c.ws.read(c.buffer);
      c.buffer.consume(c.buffer.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommand(redis, "HGET balie:chat:{%s} case_id", c.conversation.c_str()));
    std::string const case_id = reply && reply->type == REDIS_REPLY_STRING ? reply->str : "";
    freeReplyObject(reply);
    auto const t0 = clock_type::now();
    auto const r = api.call("POST", "/api/v1/cases/" + case_id + "/replies",
                            {{"Authorization", "Bearer staff-demo-token"}, {"Content-Type", "application/json"}}, R"({"text":"Antwoord"})");
    auto const t1 = clock_type::now();
    if (r.status != 202) return std::cerr << "reply failed: " << r.status << " " << r.body << "\n", 1;
    c.ws.read(c.buffer);
    auto const t2 = clock_type::now();
    c.buffer.consume(c.buffer.size());
    post_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    push_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
  }
  redisFree(redis);

  std::cout << json{{"connections", connections},
                    {"welcomed", welcomed},
                    {"failed", failed},
                    {"chat_idle_kib_per_connection", static_cast<double>(with_ws - before_ws) / std::max(welcomed, 1)},
                    {"push_p50_ms", percentile(push_ms, 0.5)},
                    {"push_p99_ms", percentile(push_ms, 0.99)},
                    {"reply_post_p50_ms", percentile(post_ms, 0.5)},
                    {"reply_post_p99_ms", percentile(post_ms, 0.99)},
                    {"pushes", push_ms.size()}}
                   .dump()
            << "\n";
  return failed ? 1 : 0;
}
