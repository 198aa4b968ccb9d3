#include "channels/sms/sms_channel.hpp"

#include "channels/addresses.hpp"
#include "channels/sms_segments.hpp"

namespace balie::sms {

void sms_reply_check::validate_reply(channels::reply_draft const& d, channels::reply_verdict done) const {
  auto const size = sms_segments(d.text);
  if (size.segments > static_cast<std::size_t>(max_segments_))
    return done({}, channels::reply_refusal{"The text is too long for an SMS.", "text",
                                            "needs " + std::to_string(size.segments) + " SMS parts; at most " +
                                                std::to_string(max_segments_) + " are allowed"});
  if (!is_e164(d.address)) return done({}, channels::reply_refusal{"The phone number cannot receive SMS.", "address", "not a valid mobile number"});
  opt_outs_.contains(d.address, [done = std::move(done)](boost::system::error_code ec, bool opted_out) {
    if (ec) return done(ec, std::nullopt);
    if (opted_out)
      return done({}, channels::reply_refusal{"This resident asked not to get SMS messages. Choose another channel.", "address", "opted out of SMS"});
    done({}, std::nullopt);
  });
}

} // namespace balie::sms
