#pragma once
// The reply port: before a staff reply is queued, the channel that will carry
// it checks it (an email address SMTP can carry; an SMS that fits the part
// limit, to a mobile number that did not opt out). The staff API asks the
// channel by the reply's channel and knows none of these rules itself.

#include <boost/system/error_code.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace balie::channels {

/// A staff reply, before it is queued.
struct reply_draft {
  std::string address;  ///< one of the resident's own addresses
  std::string text;
};

/// Why a reply cannot go: told to staff as a 400 naming the field.
struct reply_refusal {
  std::string title;  ///< what staff read, e.g. "The text is too long for an SMS."
  std::string field;  ///< "text" or "address"
  std::string reason;
};

/// The verdict, exactly once, from any thread: an error (the store is unavailable),
/// a refusal, or neither (the reply may be queued).
using reply_verdict = std::function<void(boost::system::error_code, std::optional<reply_refusal>)>;

class reply_check {
public:
  virtual ~reply_check() = default;
  virtual void validate_reply(reply_draft const&, reply_verdict done) const = 0;
};

/// Who checks a staff reply, per channel name. A channel not listed takes any
/// reply; it waits in that channel's outbox.
using reply_checks = std::map<std::string, std::shared_ptr<reply_check const>, std::less<>>;

} // namespace balie::channels
