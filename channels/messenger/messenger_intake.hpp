#pragma once
// Messenger in: WhatsApp's webhook (GET: the subscription handshake; POST:
// notifications, believed only once X-Hub-Signature-256 matches the raw
// body) at /api/v1/webhooks/messenger/whatsapp; WhatsApp through CM.com at
// …/messenger/cm/{secret} (and /status; the path secret and CM's source
// addresses) and through Twilio at …/messenger/twilio (and /status; its
// X-Twilio-Signature over the URL and every field); and the Matrix homeserver's
// transactions at PUT /_matrix/app/v1/transactions/{txnId} (and the legacy
// /transactions/{txnId}), believed only with the hs_token, compared in
// constant time. Each message becomes a case-message whose dedup key is the
// platform's id, threaded by the resident's address into their recent case;
// the platform gets its 200 only once everything in the request is durable,
// so its retry after a failure repeats nothing. A Matrix transaction is
// marked done after that and answered at once when it comes again. A
// resident's first WhatsApp contact is sent the privacy notice; a new case
// gets its acknowledgement; WhatsApp statuses and Matrix read receipts move
// the delivery status of Balie's replies forward; an invite of Balie's bot
// is accepted before the transaction is answered. A file a resident sends is
// fetched (media_fetch.hpp) and kept like a mail's attachment before the
// message is stored. Work for one request runs
// as one coroutine on a strand of its own, after the body was parsed.

#include "channels/channel_module.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/messenger/inbound_message.hpp"
#include "channels/messenger/settings.hpp"
#include "channels/outbound_http.hpp"
#include "queue/messenger_contacts.hpp"
#include "server/client_address.hpp"
#include "server/token_bucket.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <memory>
#include <mutex>

namespace balie::messenger {

struct whatsapp_notification;
struct matrix_transaction;

/// Runs a call to a platform's API off the network threads and hands back its answer (the sender's worker).
using platform_caller = std::function<void(std::string const& platform, channels::outbound_request, std::function<void(channels::outbound_answer)>)>;

class messenger_intake : public std::enable_shared_from_this<messenger_intake> {
public:
  messenger_intake(messenger_config, channels::channel_services&, queue::messenger_contacts, platform_caller);

  std::vector<server::http_route> routes();
  /// The admin's switch for the channel: off, messages are still filed and marked, and the resident gets the notice.
  void set_enabled(bool on, channels::channel_notice);
  /// One platform (whatsapp, matrix): off, its requests get 503 and the platform sends them again later.
  void set_platform_enabled(std::string_view platform, bool on);

private:
  struct platform_state {
    std::atomic<bool> on{true};
    std::mutex mutex;  ///< the bucket
    server::token_bucket bucket;
    platform_state(bool enabled, double rate, double burst) : on(enabled), bucket(rate, burst) {}
  };

  platform_state* platform(std::string_view);
  /// 503 while the platform's part is off, 429 over its rate; empty when the request may go on.
  std::optional<server::http_response> admit(std::string const& name, platform_state*);
  void whatsapp_handshake(server::http_request const&, server::http_responder);
  void whatsapp_post(server::http_request const&, server::http_responder);
  void cm_post(server::http_request const&, std::string const& secret, bool report, server::http_responder);
  void twilio_post(server::http_request const&, bool report, server::http_responder);
  /// Stores what a WhatsApp post carried and answers `ok` (each carrier's own "received") once it is durable.
  void handle_whatsapp(whatsapp_notification, server::http_response ok, server::http_responder);
  void matrix_push(server::http_request const&, std::string const& txn, server::http_responder);
  void refuse(std::string const& platform, server::http_responder&, unsigned status, std::string const& type, std::string const& detail,
              std::string const& log_reason);
  boost::asio::awaitable<void> take_whatsapp(std::shared_ptr<messenger_intake> self, whatsapp_notification, server::http_response ok,
                                             server::http_responder);
  boost::asio::awaitable<void> take_matrix(std::shared_ptr<messenger_intake> self, std::string txn, matrix_transaction, server::http_responder);
  /// Stores one message and does what follows it; false when the store failed (the platform must send it again).
  boost::asio::awaitable<bool> take(std::string const& platform, inbound_message const&);
  boost::asio::awaitable<void> follow_up(std::string const& platform, inbound_message const&, submit_result const&, bool while_off);
  boost::asio::awaitable<bool> report(outbound_status const&);
  /// Fetches and keeps the file a message carries, as an attachment of `m` (or a warning why not);
  /// false when the platform failed for now and the request must come again.
  boost::asio::awaitable<bool> fetch_file(std::string const& platform, inbound_message const&, case_message& m);
  void queue_automatic(std::string const& platform, std::string const& address, submit_result const&, std::string const& text,
                       std::string const& rule, std::function<void()> then);

  messenger_config config_;
  channels::channel_services& services_;
  queue::messenger_contacts contacts_;
  platform_caller call_;
  std::unique_ptr<platform_state> whatsapp_, matrix_;
  server::trusted_proxies cm_sources_;  ///< where CM's webhooks may come from
  std::atomic<bool> enabled_{true};
  mutable std::mutex notice_mutex_;
  channels::channel_notice notice_;
};

} // namespace balie::messenger
