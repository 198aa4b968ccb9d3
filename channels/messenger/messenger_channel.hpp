#pragma once
// The messenger as a channel module: WhatsApp and Matrix in
// (messenger_intake), replies out by the resident's platform
// (messenger_sender), each platform a part an admin switches on its own
// (`messenger/whatsapp`, `messenger/matrix`). Off by default; never the only
// door: every message and notice names the other ways to reach the
// municipality. The reply check refuses, before anything is queued, a
// WhatsApp reply that asks for a BSN or comes after the 24-hour window.

#include "channels/channel_module.hpp"
#include "channels/messenger/settings.hpp"
#include "queue/messenger_contacts.hpp"

#include <map>
#include <memory>
#include <mutex>

namespace balie::messenger {

class messenger_intake;
class messenger_sender;

class messenger_channel : public channels::channel_module {
public:
  messenger_channel(messenger_config, channels::channel_services&);
  ~messenger_channel() override;

  std::string_view name() const override { return "messenger"; }
  std::vector<server::http_route> routes() override;
  std::vector<std::pair<std::string, bool>> parts() const override;
  void set_part_enabled(std::string_view part, bool on) override;
  void start() override;
  void stop() override;
  channels::channel_health health() const override;
  /// Matrix (Balie's bot) and WhatsApp (its public number, marked Big Tech), each while its part is on.
  std::vector<channels::contact_point> contact_points() const override;
  void set_enabled(bool on, channels::channel_notice const&) override;
  void validate_reply(channels::reply_draft const&, channels::reply_verdict done) const override;
  /// Everything but `enabled` is read at start-up: a changed section is logged as needing a restart.
  messenger_config reconfigure(messenger_config const&);

private:
  messenger_config settings_;
  queue::messenger_contacts contacts_;
  clock_fn clock_;
  std::shared_ptr<messenger_sender> sender_;
  std::shared_ptr<messenger_intake> intake_;
  mutable std::mutex parts_mutex_;
  std::map<std::string, bool, std::less<>> parts_on_;
};

} // namespace balie::messenger
