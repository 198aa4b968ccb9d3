#pragma once
// The web-chat channel behind its two transports (WebSocket in
// chat_socket.cpp, server-sent events plus POST in chat_api.cpp): sessions,
// the resident's messages into cases, the conversation log, opening hours,
// Origin checks, per-address limits, and the web-chat sender that takes
// staff replies from `balie:out:{webchat}` into the conversation. Open
// connections of this process register as listeners; a `chat.message` event
// (from any instance, through Redis) wakes the ones of that conversation.

#include "channels/acknowledgement.hpp"
#include "channels/ids.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/time_format.hpp"
#include "server/token_bucket.hpp"
#include "channels/outbox.hpp"
#include "channels/webchat/settings.hpp"
#include "queue/chat_store.hpp"
#include "queue/event_feed.hpp"
#include "queue/outbox_worker.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <map>
#include <mutex>

namespace balie::server {
class metrics;
}

namespace balie::webchat {

class chat_listener {
public:
  virtual ~chat_listener() = default;
  /// The conversation has new entries: read what is after your cursor.
  virtual void wake() = 0;
  /// balied stops: close (WebSocket 1001).
  virtual void going_away() = 0;
  /// Now and then: a transport without its own heartbeat (SSE) writes one,
  /// which also shows whether the client is still there.
  virtual void ping() {}
  /// Staff closed this case (any conversation's listener is asked; the one of that case tells its resident).
  virtual void case_closed(std::string const& /*case_id*/) {}
};

struct chat_status {
  bool open = true;
  std::string notice;     ///< while closed: the admin's notice when switched off, else the configured one
  std::string notice_en;  ///< the admin's notice in English, when given
};

class chat_service : public std::enable_shared_from_this<chat_service> {
public:
  chat_service(boost::asio::any_io_executor, std::shared_ptr<webchat_config const>, outbox_config, inbound_sink&, queue::chat_store&, queue::case_workflow&,
               std::shared_ptr<queue::redis_connection> sender_redis, std::shared_ptr<queue::event_feed>, clock_fn, id_source&,
               server::metrics* stats = nullptr);

  void start();
  void stop();
  void set_config(std::shared_ptr<webchat_config const>);
  /// Before start(): the first message of a new case gets the acknowledgement in the chat (none without).
  void set_acknowledgements(channels::acknowledgement_writer, channels::automatic_limit);
  std::shared_ptr<webchat_config const> current_config() const;

  chat_status status() const;
  bool origin_allowed(std::string_view origin) const;

  struct new_session {
    std::string token;
    queue::chat_session session;
    std::chrono::seconds expires_in{};
  };
  /// `page`: the Origin the chat was opened from (an allowed one), recorded as the address written to.
  void create_session(std::string lang, std::string name, std::vector<resident_need>, std::string page,
                      std::function<void(boost::system::error_code, new_session)>);
  /// nullopt: unknown token; a session past its end is reported `expired`.
  void authenticate(std::string const& token,
                    std::function<void(boost::system::error_code, std::optional<queue::chat_session>, bool expired)>);
  struct extension {
    timestamp until;
    std::chrono::seconds ttl{};
  };
  /// The resident is still there: the session lasts another session_ttl from
  /// now. A session that has ended is not brought back (queue::errc::session_ended).
  void extend(std::string const& token, std::function<void(boost::system::error_code, extension)>);
  /// A resident message: durable in its case and its conversation before the
  /// handler runs; queue::errc::session_ended if the session has ended.
  void send(queue::chat_session const&, std::string const& token, std::string const& client_id, std::string const& text,
            submit_handler);
  void read_log(std::string const& conversation_id, std::int64_t after_seq, std::size_t limit,
                std::function<void(boost::system::error_code, std::vector<webchat::conversation_entry>, std::int64_t)>);
  /// A staff message reached the resident's screen.
  void delivered(std::string const& case_id, std::string const& message_id);

  std::uint64_t attach(std::string const& conversation_id, std::weak_ptr<chat_listener>);
  void detach(std::uint64_t);
  /// Counts a connection from `address`; false when it, or this instance, has too many already.
  bool admit(std::string const& address);
  void release(std::string const& address);
  /// One message from `address`, within its shared rate? (Per connection there is a bucket too.)
  bool allow_message(std::string const& address);
  std::size_t listeners() const;

  /// The channel's switch (gateway/switchboard.hpp): off, the chat shows its notice and takes no new chats.
  /// The admin's switch: off, no new chats (the notice is shown instead) and replies wait in the outbox.
  void set_enabled(bool on, std::string notice_nl, std::string notice_en);
  bool enabled() const { return enabled_; }

  inbound_sink& sink() { return sink_; }
  id_source& ids() { return ids_; }

private:
  void acknowledge(queue::chat_session const&, submit_result const&);
  void on_event(queue::live_event const&);
  void deliver(outbox_entry const&, delivery_done);
  void ping_listeners();
  void wake_all();
  std::vector<std::shared_ptr<chat_listener>> live_listeners() const;

  boost::asio::any_io_executor executor_;
  mutable std::mutex mutex_;
  std::shared_ptr<webchat_config const> config_;
  outbox_config outbox_;
  inbound_sink& sink_;
  queue::chat_store& store_;
  queue::case_workflow& workflow_;
  std::shared_ptr<queue::redis_connection> sender_redis_;
  std::shared_ptr<queue::outbox_worker> sender_;
  std::shared_ptr<queue::event_feed> feed_;
  clock_fn clock_;
  channels::acknowledgement_writer write_acknowledgement_;
  channels::automatic_limit automatic_;
  id_source& ids_;
  boost::asio::steady_timer ping_timer_;
  std::uint64_t subscription_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> enabled_{true};  // written under mutex_, read from every strand
  std::string switch_notice_nl_, switch_notice_en_;  // under mutex_
  server::metrics* stats_;
  std::uint64_t next_listener_ = 1;
  std::multimap<std::string, std::pair<std::uint64_t, std::weak_ptr<chat_listener>>> listeners_;
  struct address_state {
    std::size_t connections = 0;
    std::optional<server::token_bucket> messages;
  };
  std::map<std::string, address_state> per_address_;
  std::size_t connections_ = 0;
};

/// Is `origin` in the list ("loopback" admits http://127.0.0.1:* and http://localhost:*)?
bool origin_in(std::vector<std::string> const& allowed, std::string_view origin);

/// Whether the chat is open at `now` by the weekly hours (local time of the process TZ).
bool within_hours(std::vector<std::vector<opening_window>> const& hours, timestamp now);

} // namespace balie::webchat
