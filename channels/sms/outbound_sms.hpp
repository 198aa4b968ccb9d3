#pragma once
// A staff reply as each provider's API takes it, and the provider's answer
// read back (CHANNELS.md 2.4), without I/O: the sender (sms_sender) does the
// HTTP call. Every outbound SMS carries its own case and message id to the
// provider — in Kannel's dlr-url, Twilio's StatusCallback URL and CM's
// reference — so a delivery report names the message it is about without a
// lookup table, and a report for something else is simply unknown.

#include "channels/outbound_http.hpp"
#include "channels/sms/settings.hpp"
#include "channels/sms/webhook_auth.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace balie::sms {

using provider_request = channels::outbound_request;

/// Which outbound message a report is about.
struct outbound_ref {
  std::string case_id;
  std::string message_id;
};

/// What the provider's answer to a send means.
struct send_answer {
  enum class kind { accepted, retry, failed, bad_credentials };
  kind outcome = kind::accepted;
  std::string detail;  ///< the provider's code or words, never the text
};

using channels::form_encode;
using channels::percent_encode;

/// `public_base`/api/v1/webhooks/sms/`provider`/status?case=…&message=…: where reports for `ref` go.
std::string status_url(std::string_view public_base, std::string_view provider, outbound_ref const&);

provider_request kannel_request(provider_config const&, std::string const& to, std::string const& text, bool ucs2,
                                int max_segments, std::string const& dlr_url);
provider_request twilio_request(provider_config const&, std::string const& to, std::string const& text, std::string const& status_callback);
provider_request cm_request(provider_config const&, std::string const& to, std::string const& text, outbound_ref const&, int max_segments);
/// Bird's Channels API: `api_url` is the channel (…/workspaces/{id}/channels/{id}); the access key as `api_secret`.
provider_request bird_request(provider_config const&, std::string const& to, std::string const& text, outbound_ref const&);
/// MessageBird's legacy SMS API, with a report URL for its status reports.
provider_request messagebird_request(provider_config const&, std::string const& to, std::string const& text, outbound_ref const&,
                                     std::string const& report_url);

/// `status` 0: no HTTP answer (`transport` says why).
send_answer read_send_answer(std::string_view provider, long status, std::string_view body, std::string const& transport);

/// The reference CM, Bird and MessageBird echo in their reports, and back: "<case id>.<message id>".
std::string cm_reference(outbound_ref const&);
std::optional<outbound_ref> from_cm_reference(std::string_view);

} // namespace balie::sms
