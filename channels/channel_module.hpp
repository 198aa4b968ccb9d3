#pragma once
// The channel port: what balied does with every channel, through one
// interface, so that the daemon, the HTTP API and the admin switches name no
// channel. A channel is one folder (channels/<name>/) with its sans-io core,
// its I/O service and one class implementing this; the registry
// (gateway/channel_registry.cpp) lists the built-in ones explicitly.
//
// Lifecycle, driven by the daemon in this order: listen (binding errors stop
// start-up), start; on shutdown stop_accepting, then — once the intake has
// drained — stop, then the daemon waits until connections() is 0. Every call
// comes from the daemon's thread or an I/O thread; set_enabled from any.

#include "channels/acknowledgement.hpp"
#include "channels/contact_point.hpp"
#include "channels/outbox.hpp"
#include "channels/reply_check.hpp"
#include "channels/time_format.hpp"
#include "server/http_route.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}
namespace balie {
class inbound_sink;
class id_source;
}
namespace balie::queue {
class redis_connection;
class case_store;
class case_workflow;
class event_feed;
}
namespace balie::server {
struct upgrade_request;
class metrics;
class failed_logins;
}

namespace balie::channels {

class resident_texts;

/// What balied gives every channel: the intake, the stores, the clock.
struct channel_services {
  boost::asio::io_context& ioc;
  /// Slow file work (spool reads, fsyncs) off the network threads.
  boost::asio::any_io_executor file_work;
  inbound_sink& sink;
  std::shared_ptr<queue::redis_connection> redis;  ///< the shared command connection
  queue::case_store& store;
  queue::case_workflow& workflow;
  std::shared_ptr<queue::event_feed> feed;
  /// A Redis connection of the channel's own, for blocking reads (its outbox);
  /// closed by the daemon with the others. `name` prefixes its log events.
  std::function<std::shared_ptr<queue::redis_connection>(std::string const& name)> own_connection;
  server::metrics& stats;
  server::failed_logins& logins;
  server::offload_fn offload;
  clock_fn clock;
  id_source& ids;
  outbox_config outbox;
  /// What Balie writes to residents by itself; null when no configured channel does.
  std::shared_ptr<resident_texts const> texts;
  /// Writes the acknowledgement of a new case (gateway/acknowledgements.hpp).
  acknowledgement_writer acknowledgement;
  /// Automatic messages per address and period, for every channel.
  automatic_limit automatic;
  /// Whether replies of this channel can leave (it is configured to send): the phone channel
  /// acknowledges a callback request by SMS only then.
  std::function<bool(balie::channel)> can_send;
  /// The ways residents can write now: each switched-on channel's contact points, Big Tech last.
  /// Set by the daemon once every channel exists; may be empty.
  std::function<std::vector<contact_point>()> other_ways;
};

/// What residents are told while a channel is off, as the admin who switched it wrote it.
struct channel_notice {
  std::string nl;
  std::string en;  ///< empty: the Dutch one
};

/// How a channel is doing, as the channel itself sees it.
struct channel_health {
  std::string state = "up";  ///< up, degraded (a part is down), down, bad-credentials
  std::string reason;        ///< for admins: which part and why; never personal data
  bool operator==(channel_health const&) const = default;
};

class channel_module : public reply_check {
public:

  /// The channel's name as the case-message spells it (`email`, `webchat`, ...).
  virtual std::string_view name() const = 0;
  /// Resident and provider endpoints of this channel.
  virtual std::vector<server::http_route> routes() { return {}; }
  /// Takes over a WebSocket upgrade to `path`; false: not this channel's.
  virtual bool upgrade(std::string_view /*path*/, std::shared_ptr<server::upgrade_request>& /*up*/) { return false; }
  /// Binds the channel's own listeners; an error stops start-up.
  virtual boost::system::error_code listen() { return {}; }
  /// Starts pollers, senders and timers.
  virtual void start() {}
  /// Shutdown, first step: nothing new is taken in; what was accepted finishes.
  virtual void stop_accepting() {}
  /// Shutdown, once the intake has drained: senders stop, connections close after their answer.
  virtual void stop() {}
  /// Connections of the channel's own listeners still open.
  virtual std::size_t connections() const { return 0; }
  /// Its health now; cheap, from any thread (the daemon asks every second).
  virtual channel_health health() const { return {}; }
  /// The admin's switch, as this instance applies it. Off: no new contact
  /// (each channel says how), replies held in the outbox until it is on again.
  virtual void set_enabled(bool on, channel_notice const&) = 0;
  /// Parts an admin switches on their own (`<channel>/<part>`: an SMS provider's endpoint),
  /// each with its `enabled` in the configuration file. The channel's switch still covers all.
  virtual std::vector<std::pair<std::string, bool>> parts() const { return {}; }
  virtual void set_part_enabled(std::string_view /*part*/, bool /*on*/) {}
  /// Where residents can write to the municipality on this channel now (its parts that are on); from any thread.
  virtual std::vector<contact_point> contact_points() const { return {}; }
  /// A staff reply this channel will carry, checked before it is queued; by default any text to any address.
  void validate_reply(reply_draft const&, reply_verdict done) const override { done({}, std::nullopt); }
};

} // namespace balie::channels
