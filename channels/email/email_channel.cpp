#include "channels/email/email_channel.hpp"

#include "channels/addresses.hpp"
#include "channels/email/email_intake.hpp"
#include "channels/email/email_sender.hpp"
#include "channels/email/imap_poller.hpp"
#include "channels/email/lmtp_server.hpp"
#include "channels/email/team_notices.hpp"
#include "server/log.hpp"

#include <boost/asio/io_context.hpp>
#include <curl/curl.h>

namespace balie::email {

email_channel::email_channel(email_config settings, channels::channel_services& s) : settings_(std::move(settings)) {
  auto const& c = settings_;
  intake_ = std::make_shared<email_intake>(s.ioc.get_executor(), c, s.sink, s.workflow, s.texts, s.acknowledgement, s.automatic,
                                           s.clock, s.ids);
  if (c.lmtp_enabled) lmtp_ = std::make_unique<lmtp_server>(s.ioc, intake_, c);
  if (!c.smtp_url.empty() || !c.imap.empty()) curl_global_init(CURL_GLOBAL_DEFAULT);
  // The sender blocks on its outbox: a connection of its own.
  if (!c.smtp_url.empty())
    sender_ = std::make_shared<email_sender>(c, s.outbox, s.own_connection("email"), s.store, queue::email_threads(*s.redis), s.workflow, s.texts, s.clock,
                                             send_with_curl, &s.stats);
  // Notices to teams about cases waiting too long leave through the same relay, from an outbox of their own.
  if (!c.smtp_url.empty())
    team_ = std::make_shared<team_notice_sender>(c, s.outbox, s.own_connection("team"), s.workflow, s.clock, send_with_curl, &s.stats);
  for (auto const& mailbox : c.imap) imap_.push_back(std::make_shared<imap_poller>(s.ioc.get_executor(), mailbox, intake_, *s.redis, s.stats));
}

email_channel::~email_channel() = default;

boost::system::error_code email_channel::listen() {
  if (!lmtp_) return {};
  if (auto ec = lmtp_->listen(settings_.lmtp_address, settings_.lmtp_port)) {
    server::log::error("lmtp.listen_failed", {{"address", settings_.lmtp_address}, {"port", std::to_string(settings_.lmtp_port)},
                                              {"error", ec.message()}});
    return ec;
  }
  server::log::info("lmtp.listening", {{"address", settings_.lmtp_address}, {"port", std::to_string(lmtp_->port())}});
  return {};
}

void email_channel::start() {
  if (sender_) sender_->start();
  if (team_) team_->start();
  for (auto& poller : imap_) poller->start();
}

void email_channel::stop_accepting() {
  if (lmtp_) lmtp_->stop_accepting();
  for (auto& poller : imap_) poller->stop();
}

void email_channel::stop() {
  if (sender_) sender_->stop();
  if (team_) team_->stop();
  intake_->stop();  // the parse workers end here, not in a destructor that may run on one of them
  if (lmtp_) lmtp_->close_connections();
}

std::size_t email_channel::connections() const { return lmtp_ ? lmtp_->connections() : 0; }

// Mail comes in through LMTP and the IMAP mailboxes, replies leave through the
// relay. A login refused anywhere needs an operator: bad-credentials. Every way
// in down: down. Some part down or failing: degraded.
std::vector<channels::contact_point> email_channel::contact_points() const {
  if (settings_.public_address.empty()) return {};
  return {{"email", settings_.public_address, "mailto:" + settings_.public_address, false}};
}

channels::channel_health email_channel::health() const {
  std::string reasons;
  auto const add = [&reasons](std::string const& part, std::string const& why) {
    reasons += (reasons.empty() ? "" : "; ") + part + (why.empty() ? "" : ": " + why);
  };
  bool credentials = false;
  std::size_t ways_in = lmtp_ ? 1 : 0, ways_in_down = 0;
  for (auto const& poller : imap_) {
    ++ways_in;
    auto const [state, why] = poller->state();
    if (state == "up" || state == "unknown") continue;
    credentials = credentials || state == "bad-credentials";
    if (state != "degraded") ++ways_in_down;
    add(poller->source() + " " + state, why);
  }
  if (sender_) {
    auto const relay = sender_->relay();
    if (relay.first == relay_state::bad_credentials) credentials = true;
    if (relay.first != relay_state::answered) add("smtp relay", relay.second);
  }
  if (credentials) return {"bad-credentials", reasons};
  if (ways_in > 0 && ways_in_down == ways_in) return {"down", reasons};
  if (!reasons.empty()) return {"degraded", reasons};
  return {};
}

void email_channel::validate_reply(channels::reply_draft const& d, channels::reply_verdict done) const {
  if (!is_valid_email_address(d.address))
    return done({}, channels::reply_refusal{"The email address is not valid.", "address", "not a valid email address"});
  done({}, std::nullopt);
}

void email_channel::set_enabled(bool on, channels::channel_notice const& notice) {
  intake_->set_enabled(on, notice);
  if (sender_) sender_->set_held(!on);
}

email_config email_channel::reconfigure(email_config const& fresh) {
  auto running = settings_;
  running.enabled = fresh.enabled;  // the switch itself goes through the switchboard
  if (running != fresh) server::log::warn("reload.needs_restart", {{"sections", "channels.email"}});
  return running;
}

} // namespace balie::email
