#pragma once
// SMS as a channel module: provider webhooks in (sms_intake), replies out
// through the provider named by `send_via` (sms_sender), each provider's
// endpoint switchable on its own as `sms/<provider>`. The reply check
// (sms_reply_check) also stands alone: staff answer callers by SMS even
// where the SMS channel takes nothing in.

#include "channels/channel_module.hpp"
#include "channels/reply_check.hpp"
#include "channels/sms/settings.hpp"
#include "queue/sms_numbers.hpp"

#include <memory>

namespace balie::sms {

class sms_intake;
class sms_sender;

/// A reply must fit the part limit (the costly, hard-to-read long SMS is refused), carry no
/// web address unless allowed, go to a valid mobile number in E.164, and not to a number that opted out.
class sms_reply_check : public channels::reply_check {
public:
  sms_reply_check(int max_segments, bool allow_links, queue::sms_numbers numbers)
      : max_segments_(max_segments), allow_links_(allow_links), numbers_(std::move(numbers)) {}
  void validate_reply(channels::reply_draft const&, channels::reply_verdict done) const override;

private:
  int max_segments_;
  bool allow_links_;
  queue::sms_numbers numbers_;
};

class sms_channel : public channels::channel_module {
public:
  sms_channel(sms_config, channels::channel_services&);
  ~sms_channel() override;

  std::string_view name() const override { return "sms"; }
  std::vector<server::http_route> routes() override;
  std::vector<std::pair<std::string, bool>> parts() const override;
  void set_part_enabled(std::string_view part, bool on) override;
  void start() override;
  void stop() override;
  channels::channel_health health() const override;
  std::vector<channels::contact_point> contact_points() const override;
  void set_enabled(bool on, channels::channel_notice const&) override;
  void validate_reply(channels::reply_draft const& d, channels::reply_verdict done) const override { check_.validate_reply(d, std::move(done)); }
  /// Everything but `enabled` is read at start-up: a changed section is logged as needing a restart.
  sms_config reconfigure(sms_config const&);

private:
  sms_config settings_;
  sms_reply_check check_;
  std::shared_ptr<sms_intake> intake_;
  std::shared_ptr<sms_sender> sender_;
  mutable std::mutex parts_mutex_;
  std::map<std::string, bool, std::less<>> parts_on_;
};

} // namespace balie::sms
