#pragma once
// The plain request and response types every HTTP handler in balied sees:
// no Asio, no Beast, so a channel's routes compile without either.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace balie::server {

struct http_request {
  std::string method;
  std::string target;  ///< as sent
  std::string path;    ///< target without the query
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;
  std::string remote_address;  ///< the client's IP address: the peer, or as trusted proxies forward it
  std::string header(std::string_view lower_name) const;
};

/// The token of an `Authorization: Bearer <token>` header (staff, system or a chat session).
std::optional<std::string> bearer_token(http_request const&);

/// The writing end of a response that stays open (server-sent events).
/// Thread-safe; `push` returns false once the connection is gone, and the
/// source then drops its handle.
class http_stream {
public:
  virtual ~http_stream() = default;
  virtual bool push(std::string chunk) = 0;
  virtual void close() = 0;
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  ///< close the connection after this response
  /// Set for a download: the body is this file, sent part by part as the client
  /// takes it (never read whole into memory); `body` is ignored. Gone by then: 404.
  std::filesystem::path file;
  /// Set for a streaming response: called once the head is written. The body
  /// then runs until either side closes; no Content-Length, no keep-alive.
  std::function<void(std::shared_ptr<http_stream>)> on_stream;
};

/// Must be called exactly once per request, from any thread.
using http_responder = std::function<void(http_response)>;
using http_handler = std::function<void(http_request, http_responder)>;

struct http_limits {
  std::size_t max_header_bytes;
  std::size_t max_body_bytes;
  std::chrono::milliseconds read_timeout;
  std::chrono::milliseconds idle_timeout;
  std::size_t max_connections;
  std::size_t max_connections_per_address = 512;  ///< one address's share (trusted proxies: none)
  std::chrono::milliseconds write_timeout{30'000};  ///< a reader slower than this is dropped
  std::size_t max_stream_backlog = 1 << 20;          ///< bytes a streaming reader may lag before it is dropped
};

/// What a request may do, decided from its head alone, before a byte of its
/// body is read: how large its body may be (never above
/// `http_limits::max_body_bytes`), or an answer that refuses it at once
/// (401, 403, 429), after which the connection closes without reading on.
struct http_admission {
  std::size_t max_body_bytes = 0;
  std::optional<http_response> refusal;
};
/// Called with the request's head (its body empty); from any thread.
using http_admitter = std::function<http_admission(http_request const& head)>;

} // namespace balie::server
