#pragma once
// What Balie keeps per messenger contact, as named operations on Redis (every
// address hashed in key names): when the resident last wrote (WhatsApp's
// 24-hour window), whether they were sent the privacy notice, the Matrix room
// they write from, the Matrix transactions already completed, and which case
// message a sent event is (for read receipts). A sent message also makes the
// address a participant of its case, so the resident's next message joins it.

#include "queue/redis_connection.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace balie::queue {

/// A case message, as a dedup mark or a sent event names it.
struct message_ref {
  std::string message_id;
  std::string case_id;
};

class messenger_contacts {
public:
  explicit messenger_contacts(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

  /// The resident wrote at `at_ms` (kept if later than what is known) from `room` (Matrix; empty: none).
  void note_inbound(std::string const& address, long long at_ms, std::string const& room, std::function<void(boost::system::error_code)> done) const;
  /// When the resident last wrote; nullopt when not known.
  void last_inbound(std::string const& address, std::function<void(boost::system::error_code, std::optional<long long>)> done) const;
  /// True once per address: the first contact, which gets the privacy notice.
  void first_contact(std::string const& address, std::function<void(boost::system::error_code, bool)> done) const;
  /// The Matrix room the resident last wrote from.
  void room_of(std::string const& user, std::function<void(boost::system::error_code, std::string)> done) const;
  /// Whether a Matrix transaction was completed before; and marking it so (kept `ttl`).
  void transaction_done(std::string const& txn, std::function<void(boost::system::error_code, bool)> done) const;
  void mark_transaction(std::string const& txn, std::chrono::seconds ttl, std::function<void(boost::system::error_code)> done) const;
  /// A reply left as `platform_id`: the address takes part in the case (its next message joins it for `window`),
  /// and the event is remembered for `ttl` so a receipt can name the message.
  void record_sent(std::string const& case_id, std::string const& message_id, std::string const& address, std::string const& platform_id,
                   std::chrono::seconds window, std::chrono::seconds ttl, std::function<void(boost::system::error_code)> done) const;
  /// The case message a sent event is.
  void sent_message(std::string const& platform_id, std::function<void(boost::system::error_code, std::optional<message_ref>)> done) const;
  /// The case message stored under a dedup key (an edit names the event it changes).
  void stored_message(std::string const& dedup_key, std::function<void(boost::system::error_code, std::optional<message_ref>)> done) const;

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
