#pragma once
// Web-chat state in Redis. A session (found by the SHA-256 of its token,
// never the token itself) points at a conversation; a conversation has a
// hash (its case, reference, language, needs, the last sequence number) and
// a log stream whose entry ids are `0-<seq>`, so "everything after seq N"
// is one XRANGE. Resident messages enter the log in the case enqueue script
// (case_store); staff replies enter it here, when the web-chat sender takes
// them from `balie:out:{webchat}`. Both write a `chat.message` event, which
// is how every balied instance learns that a conversation it serves moved.

#include "channels/webchat/protocol.hpp"
#include "queue/case_workflow.hpp"

namespace balie::queue {

struct chat_session {
  std::string conversation_id;
  std::string case_id;
  std::string reference;
  std::string lang;
  std::string name;
  std::string needs;  ///< JSON array of resident needs
  std::string page;   ///< the origin of the page the chat was opened on (routing's `addressed_to`); empty: not a browser
  long long expires_ms = 0;
};

class chat_store {
public:
  explicit chat_store(std::shared_ptr<redis_connection>);

  /// Stores a new session and its conversation; the session key expires with it.
  void create_session(std::string const& token_hash, chat_session const&, std::chrono::seconds ttl,
                      std::function<void(boost::system::error_code)>);
  /// The session of a token hash; nullopt when unknown (or expired and gone).
  void find_session(std::string const& token_hash,
                    std::function<void(boost::system::error_code, std::optional<chat_session>)>);
  /// Moves a live session's end to `expires_ms` (activity extends it), atomically
  /// and only if the session still exists and has not ended by `now_ms`; `false` otherwise.
  void extend_session(std::string const& token_hash, long long now_ms, long long expires_ms, std::chrono::seconds ttl,
                      std::function<void(boost::system::error_code, bool extended)>);

  /// Entries after `after_seq` (at most `limit`), and the conversation's last seq.
  void read_log(std::string const& conversation_id, std::int64_t after_seq, std::size_t limit,
                std::function<void(boost::system::error_code, std::vector<webchat::conversation_entry>, std::int64_t last_seq)>);

  /// A staff reply into the conversation, once per message id; answers its seq.
  void append_staff(std::string const& conversation_id, std::string const& case_id, webchat::conversation_entry const&,
                    std::function<void(boost::system::error_code, std::int64_t seq)>);

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
