#include "queue/sms_opt_outs.hpp"

#include "queue/keys.hpp"

namespace balie::queue {

void sms_opt_outs::contains(std::string const& number, std::function<void(boost::system::error_code, bool)> done) const {
  redis_->execute({"SISMEMBER", std::string(keys::sms_opt_out), number},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

} // namespace balie::queue
