#pragma once
// Server-sent events (text/event-stream), the one implementation behind both
// event streams (the staff inbox's live updates, the web chat's fallback
// transport): the response head that keeps reverse proxies from holding
// events back, the opening (the reconnect delay, and a comment so the client
// sees the stream is up), event frames, and keep-alive comments. Every write
// says whether the reader is still there.

#include "server/http_message.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace balie::server {

class event_stream {
public:
  explicit event_stream(std::shared_ptr<http_stream> out) : out_(std::move(out)) {}

  /// The first write: the reconnect delay (ms) and a comment.
  bool open() { return out_->push("retry: 3000\n: connected\n\n"); }
  /// One event. `id` empty: none, the client keeps the Last-Event-ID it has.
  /// Each line of `data` becomes a `data:` line, so a line break cannot end the frame.
  bool send(std::string_view type, std::string_view data, std::string_view id = {}) {
    std::string frame;
    if (!id.empty()) frame.append("id: ").append(id).append("\n");
    frame.append("event: ").append(type).append("\n");
    for (std::size_t at = 0;;) {
      auto const end = data.find('\n', at);
      frame.append("data: ").append(data.substr(at, end - at)).append("\n");
      if (end == std::string_view::npos) break;
      at = end + 1;
    }
    return out_->push(frame + "\n");
  }
  /// A comment: proxies see traffic and keep a quiet stream open.
  bool ping() { return out_->push(": ping\n\n"); }
  void close() { out_->close(); }

private:
  std::shared_ptr<http_stream> out_;
};

/// A streaming `text/event-stream` response; `on_open` gets the stream once the head is written.
inline http_response event_stream_response(std::function<void(event_stream)> on_open) {
  http_response r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("X-Accel-Buffering", "no");  // reverse proxies must not hold events back
  r.on_stream = [on_open = std::move(on_open)](std::shared_ptr<http_stream> out) { on_open(event_stream(std::move(out))); };
  return r;
}

} // namespace balie::server
