#pragma once
// Where channels hand over normalised messages. The gateway implements it
// (routing + durable enqueue); channels never see Redis. The handler runs
// once the message is durable (or known to be a duplicate), or with an error
// when it is not: only then may the channel acknowledge its sender.

#include "channels/case_message.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace balie {

enum class submit_status { stored, duplicate };

struct submit_result {
  submit_status status = submit_status::stored;
  std::string message_id;  ///< for a duplicate: the message stored first
  std::string case_id;
  std::string reference;
  std::string inbox;
  std::int64_t seq = 0;  ///< web chat: the message's number in its conversation
  bool joined = false;       ///< threading put the message in an existing case
  std::string linked_case;   ///< a case the message referred to but did not join
  std::optional<timestamp> answer_by;  ///< when a person answers at the latest (none: nobody waits, e.g. an auto-reply)
  bool outside_hours = false;          ///< the case's inbox was closed when the message arrived
  bool created = false;                ///< the message opened a new case: it is the one acknowledged
};

/// Threading: where a message may belong, tried in this order. The message
/// joins the first case the `participant` takes part in; a hint to someone
/// else's case only links the new case to it, so two residents are never
/// merged. Email gives tokens, Message-IDs and references; SMS the number.
struct thread_hints {
  std::vector<std::string> reply_tokens;  ///< from a reply+TOKEN address
  std::vector<std::string> message_ids;   ///< In-Reply-To, then References newest first
  std::vector<std::string> references;    ///< case references named in the subject
  std::string participant;                ///< the sender's address, lower case
  std::vector<std::string> own_ids;       ///< this message's Message-ID, for later replies
  /// SMS and messengers: the sender's number (E.164) or Matrix ID, also the participant. The message
  /// joins the case the address last took part in if that was within `recent_window`, and its next one joins this.
  std::string recent_number;
  std::chrono::seconds recent_window{0};
};

/// Where else the message goes in the same durable step.
struct submit_options {
  std::string conversation;  ///< web chat: also append to this conversation's log
  std::string inbox;         ///< named by the channel's configuration; used when no routing rule matched
  std::optional<balie::priority> priority;  ///< the channel knows better than routing (a bounce that matches no reply: low)
  std::optional<thread_hints> thread;
};

using submit_handler = std::function<void(boost::system::error_code, submit_result)>;

class inbound_sink {
public:
  virtual ~inbound_sink() = default;
  /// `dedup_key` is unique per source message (e.g. "phone:<call id>"). The
  /// case is created if it does not exist yet, else the message joins it.
  virtual void submit(case_message message, std::string dedup_key, submit_handler handler, submit_options options = {}) = 0;
};

} // namespace balie
