#pragma once
// Phone as a channel module: transcripts of calls that happened, posted by
// the telephony platform (POST /api/v1/transcripts, system token) or dropped
// into a spool directory.

#include "channels/channel_module.hpp"
#include "channels/phone/callback_acknowledgement.hpp"
#include "channels/phone/settings.hpp"

#include <atomic>
#include <memory>

namespace balie::channels::phone {

class transcript_spool;

class phone_channel : public channel_module {
public:
  phone_channel(phone_config, channel_services&);
  ~phone_channel() override;

  std::string_view name() const override { return "phone"; }
  std::vector<server::http_route> routes() override;
  void start() override;
  void stop_accepting() override;
  /// Off concerns new contact, not calls that already happened: transcripts are still taken in.
  void set_enabled(bool, channel_notice const&) override {}
  /// The transcript size limit applies at once; the spool's folder and pace need a restart.
  /// Returns the section as the channel now runs it.
  phone_config reconfigure(phone_config const&);

private:
  void post_transcript(server::http_request const&, server::http_responder);

  phone_config settings_;
  std::atomic<std::size_t> max_transcript_bytes_;
  channel_services& services_;
  callback_acknowledging_sink sink_;  ///< every transcript goes through it: a callback request is acknowledged by SMS
  std::shared_ptr<transcript_spool> spool_;
};

} // namespace balie::channels::phone
