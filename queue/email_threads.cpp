#include "queue/email_threads.hpp"

#include "queue/case_store.hpp"
#include "queue/keys.hpp"

namespace balie::queue {

void email_threads::reply_token(std::string const& case_id, std::string const& fresh,
                                std::function<void(boost::system::error_code, std::string)> done) {
  run_all(redis_, {{"HSETNX", keys::case_hash(case_id), "email_token", fresh}, {"HGET", keys::case_hash(case_id), "email_token"}},
          [this, case_id, done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
            if (ec) return done(ec, {});
            auto token = r.size() == 2 ? r[1].str : std::string{};
            // Recorded on the case first, so its destruction finds every key that may point at it.
            run_all(redis_,
                    {{"SADD", keys::case_threads(case_id), keys::email_token(token)},
                     {"SET", keys::email_token(token), case_id, "EX", std::to_string(keys::thread_index_ttl.count())}},
                    [token, done](boost::system::error_code ec, std::vector<redis_reply>) { done(ec, ec ? std::string{} : token); });
          });
}

void email_threads::record_sent(std::string const& case_id, std::string const& address, std::string const& message_id,
                                std::function<void(boost::system::error_code)> done) {
  run_all(redis_,
          {{"SADD", keys::case_participants(case_id), address},
           {"SADD", keys::case_threads(case_id), keys::email_message(message_id)},
           {"SET", keys::email_message(message_id), case_id, "EX", std::to_string(keys::thread_index_ttl.count())}},
          [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply>) { done(ec); });
}

} // namespace balie::queue
