#pragma once
// A small blocking HTTP/1.1 client for tests and the benchmark.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace balie::test {

struct http_reply {
  unsigned status = 0;  ///< 0: no answer (connection failed or closed)
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
};

http_reply http_call(std::uint16_t port, std::string const& method, std::string const& target,
                     std::vector<std::pair<std::string, std::string>> const& headers = {}, std::string const& body = {});

/// Sends raw bytes, half-closes, and returns whatever the server answered.
std::string raw_exchange(std::uint16_t port, std::string const& bytes, bool half_close = true);

/// A keep-alive connection for many requests.
class http_connection {
public:
  explicit http_connection(std::uint16_t port);
  ~http_connection();
  http_reply call(std::string const& method, std::string const& target,
                  std::vector<std::pair<std::string, std::string>> const& headers = {}, std::string const& body = {});

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A long-lived GET (server-sent events): what has arrived so far, read on demand.
class stream_reader {
public:
  stream_reader(std::uint16_t port, std::string const& target, std::vector<std::pair<std::string, std::string>> const& headers = {});
  ~stream_reader();
  /// Reads until `text` has arrived (true) or the timeout passed or the stream ended (false).
  bool wait_for(std::string const& text, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string const& received() const { return received_; }
  /// The server closed the stream (as opposed to a timeout).
  bool ended() const { return ended_; }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string received_;
  bool ended_ = false;
};

} // namespace balie::test
