#pragma once
// The SMS channel as far as it exists before its intake and sender land: the
// check of a staff reply to a resident's phone number. A reply must fit the
// part limit (the costly, hard-to-read long SMS is refused), go to a valid
// mobile number in E.164, and not go to a number that opted out.

#include "channels/reply_check.hpp"
#include "queue/sms_opt_outs.hpp"

namespace balie::sms {

class sms_reply_check : public channels::reply_check {
public:
  sms_reply_check(int max_segments, queue::sms_opt_outs opt_outs) : max_segments_(max_segments), opt_outs_(std::move(opt_outs)) {}
  void validate_reply(channels::reply_draft const&, channels::reply_verdict done) const override;

private:
  int max_segments_;
  queue::sms_opt_outs opt_outs_;
};

} // namespace balie::sms
