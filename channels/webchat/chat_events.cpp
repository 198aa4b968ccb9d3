#include "channels/webchat/chat_events.hpp"

#include "channels/webchat/protocol.hpp"
#include "channels/webchat/chat_service.hpp"
#include "server/event_stream.hpp"
#include "server/problem.hpp"

namespace balie::webchat {
using namespace server;
namespace {

/// Seconds a resident refused for too many connections waits before trying again.
constexpr char const* retry_after_connections = "30";

/// One of an address's chat connections, from admission until the stream
/// (or, if it never starts, its pending response) is gone.
struct admission {
  std::shared_ptr<chat_service> service;
  std::string address;
  ~admission() { service->release(address); }
};

class chat_event_stream : public chat_listener, public std::enable_shared_from_this<chat_event_stream> {
public:
  chat_event_stream(std::shared_ptr<chat_service> service, queue::chat_session s, std::string token, std::int64_t after,
                    event_stream out, std::shared_ptr<admission const> admitted)
      : service_(std::move(service)), session_(std::move(s)), token_(std::move(token)), cursor_(after), out_(std::move(out)),
        admitted_(std::move(admitted)) {}
  ~chat_event_stream() override { service_->detach(id_); }

  void start() {
    id_ = service_->attach(session_.conversation_id, weak_from_this());
    // The stream holds this listener alive until it ends.
    self_ = shared_from_this();
    if (!out_.open()) return end();
    wake();
  }
  void wake() override {
    {
      std::lock_guard lock(mutex_);
      if (fetching_) {
        again_ = true;
        return;
      }
      fetching_ = true;
    }
    fetch();
  }
  /// Keeps proxies from timing the stream out, and ends it once the session has
  /// ended: asked of Redis each time, since messages posted meanwhile extend it.
  void ping() override {
    if (!out_.ping()) return end();
    service_->authenticate(token_, [weak = weak_from_this()](boost::system::error_code ec, std::optional<queue::chat_session> s,
                                                            bool expired) {
      auto const self = weak.lock();
      if (!self || ec) return;  // Redis unreachable: the next ping asks again
      if (!s || expired) self->end();
    });
  }
  void going_away() override { end(); }

private:
  /// Reads after the cursor and sends; no lock is held while Redis is asked.
  void fetch() {
    service_->read_log(session_.conversation_id, cursor_, webchat::max_replay + 1,
                       [self = shared_from_this()](boost::system::error_code ec, std::vector<webchat::conversation_entry> entries,
                                                   std::int64_t last) {
                         bool open = true, again = false;
                         {
                           std::lock_guard lock(self->mutex_);
                           if (!ec && entries.size() > webchat::max_replay) {
                             self->cursor_ = last;
                             open = self->out_.send("resync", "{}");
                           } else if (!ec) {
                             for (auto const& e : entries) {
                               if (e.seq <= self->cursor_) continue;
                               self->cursor_ = e.seq;
                               open = open && self->out_.send("msg", webchat::msg_frame(e), std::to_string(e.seq));
                               if (e.from == "staff") self->service_->delivered(self->session_.case_id, e.id);
                             }
                           }
                           again = open && std::exchange(self->again_, false);
                           self->fetching_ = again;
                         }
                         if (!open) return self->end();
                         if (again) self->fetch();
                       });
  }
  void end() {
    out_.close();
    std::lock_guard lock(mutex_);
    self_.reset();
  }

  std::shared_ptr<chat_service> service_;
  queue::chat_session session_;
  std::string token_;
  std::int64_t cursor_;
  event_stream out_;
  std::shared_ptr<admission const> admitted_;
  std::shared_ptr<chat_event_stream> self_;
  std::uint64_t id_ = 0;
  std::mutex mutex_;
  bool fetching_ = false, again_ = false;
};

} // namespace

http_response open_chat_events(std::shared_ptr<chat_service> service, queue::chat_session s, std::string token, std::int64_t after_seq,
                               std::string address) {
  if (!service->admit(address)) {
    auto r = problem(429, "too-many-connections", "Too many chat connections from your address. Close another chat or try again later.");
    r.headers.emplace_back("Retry-After", retry_after_connections);
    return r;
  }
  // Not make_shared from a temporary: the temporary's destructor would release the place.
  auto admitted = std::shared_ptr<admission const>(new admission{service, std::move(address)});
  return event_stream_response([service = std::move(service), s = std::move(s), token = std::move(token), after_seq,
                                 admitted = std::move(admitted)](event_stream out) {
    std::make_shared<chat_event_stream>(service, s, token, after_seq, std::move(out), admitted)->start();
  });
}

} // namespace balie::webchat
