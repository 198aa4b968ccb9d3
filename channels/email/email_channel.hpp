#pragma once
// Email as a channel module: mail in over LMTP (from the municipality's MTA)
// and from polled IMAP mailboxes, replies out over SMTP. Which parts run
// follows the section: no smtp, no sender; lmtp.enabled false, no listener.

#include "channels/channel_module.hpp"
#include "channels/email/settings.hpp"

#include <memory>

namespace balie::email {

class email_intake;
class lmtp_server;
class email_sender;
class team_notice_sender;
class imap_poller;

class email_channel : public channels::channel_module {
public:
  email_channel(email_config, channels::channel_services&);
  ~email_channel() override;

  std::string_view name() const override { return "email"; }
  boost::system::error_code listen() override;
  void start() override;
  void stop_accepting() override;
  void stop() override;
  std::size_t connections() const override;
  channels::channel_health health() const override;
  std::vector<channels::contact_point> contact_points() const override;
  void set_enabled(bool on, channels::channel_notice const&) override;
  /// An address SMTP can carry.
  void validate_reply(channels::reply_draft const&, channels::reply_verdict done) const override;
  /// Everything but `enabled` is read at start-up: a changed section is logged as needing a restart.
  /// Returns the section as the channel now runs it.
  email_config reconfigure(email_config const&);

private:
  email_config settings_;
  std::shared_ptr<email_intake> intake_;
  std::unique_ptr<lmtp_server> lmtp_;
  std::shared_ptr<email_sender> sender_;
  std::shared_ptr<team_notice_sender> team_;  ///< mail to teams about cases waiting too long
  std::vector<std::shared_ptr<imap_poller>> imap_;
};

} // namespace balie::email
