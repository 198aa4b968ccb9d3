#pragma once
// The SMS sender's HTTP call: the shared one (channels/outbound_http.hpp),
// under the names the SMS code and its tests use.

#include "channels/outbound_http.hpp"
#include "channels/sms/outbound_sms.hpp"

namespace balie::sms {

using provider_response = channels::outbound_answer;
using provider_call = channels::outbound_call;
using channels::call_with_curl;

} // namespace balie::sms
