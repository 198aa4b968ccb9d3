#pragma once
// Email threading in Redis, as named operations for the email channel: a
// case's reply token (made once, whoever sends first, and indexed so an
// answer to it finds the case) and what Balie records once the relay has
// accepted a reply (the recipient takes part in the case; an answer to that
// Message-ID finds it). Index entries live `keys::thread_index_ttl`.

#include "queue/redis_connection.hpp"

#include <functional>
#include <string>

namespace balie::queue {

class email_threads {
public:
  explicit email_threads(redis_connection& redis) : redis_(redis) {}

  /// The case's reply token: `fresh` when the case has none yet, else the one it has.
  void reply_token(std::string const& case_id, std::string const& fresh, std::function<void(boost::system::error_code, std::string token)>);

  /// The relay accepted a reply to `address` (lower case) with RFC 5322 Message-ID `message_id`.
  void record_sent(std::string const& case_id, std::string const& address, std::string const& message_id,
                   std::function<void(boost::system::error_code)>);

private:
  redis_connection& redis_;
};

} // namespace balie::queue
