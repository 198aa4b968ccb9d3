#pragma once
// SMS in: the provider webhooks (POST /api/v1/webhooks/sms/{provider}, CM at
// /api/v1/webhooks/sms/cm/{secret}) and their delivery reports (…/status).
// Each request is believed only after its provider's check has passed over
// the bytes as received (channels/sms/webhook_auth.hpp); only then is it
// read, limited (per provider, per sending number), and handed to the
// intake with the number as its thread: the number's case of the last
// `thread_window` is joined (and reopened), else a new case. The provider
// gets its 2xx only once the message is durable, so a provider's retry after
// a failure is the same message, and the dedup mark (provider + message id,
// kept `dedup_ttl`) makes it one. A whole-message STOP/START changes the
// opt-out (audited) after the message is stored, also when it was stored by
// an earlier try, and confirms once.

#include "channels/channel_module.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/sms/inbound_sms.hpp"
#include "channels/sms/settings.hpp"
#include "queue/sms_numbers.hpp"
#include "server/address_limits.hpp"
#include "server/client_address.hpp"
#include "server/token_bucket.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

namespace balie::sms {

class sms_intake {
public:
  sms_intake(sms_config, channels::channel_services&, queue::sms_numbers);

  std::vector<server::http_route> routes();
  /// The admin's switch for the whole channel: off, messages are still filed (SMS cannot be
  /// deferred across providers) and marked, and the resident gets the admin's notice.
  void set_enabled(bool on, channels::channel_notice);
  /// One provider's endpoint: off, its webhooks get 503 (and providers that retry send again later).
  void set_provider_enabled(std::string const& provider, bool on);

private:
  struct provider_state {
    provider_config config;
    server::trusted_proxies sources;  ///< CM: where its webhooks may come from
    std::atomic<bool> on{true};
    std::mutex mutex;  ///< the bucket
    server::token_bucket bucket;
    provider_state(provider_config c, double rate, double burst)
        : config(std::move(c)), sources(config.allowed_sources), bucket(rate, burst) {}
  };
  struct refusal {
    unsigned status;
    std::string reason;
  };

  provider_state* provider(std::string const& name);
  boost::system::result<authenticated, refusal> authenticate(std::string const& name, provider_state&, server::http_request const&,
                                                             std::string const& path_secret) const;
  void inbound(std::string const& name, server::http_request const&, std::string const& path_secret, server::http_responder);
  void store(std::string const& name, inbound_sms, bool flooded, server::http_responder);
  void after_store(std::string const& name, inbound_sms const&, submit_result const&, bool flooded, bool while_off, server::http_responder);
  void report(std::string const& name, server::http_request const&, std::string const& path_secret, server::http_responder);
  void queue_automatic(std::string const& number, submit_result const&, std::string const& text, std::string const& rule,
                       std::function<void()> then);
  void refuse(std::string const& name, server::http_responder&, unsigned status, std::string const& type, std::string const& detail,
              std::string const& log_reason);

  sms_config config_;
  channels::channel_services& services_;
  queue::sms_numbers numbers_;
  std::map<std::string, std::unique_ptr<provider_state>> providers_;  ///< built once; the states change, the map does not
  server::address_limiter per_number_;
  std::atomic<bool> enabled_{true};
  mutable std::mutex notice_mutex_;
  channels::channel_notice notice_;
};

} // namespace balie::sms
