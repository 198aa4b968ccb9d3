#pragma once
// Finding cases: the index the enqueue script writes (per inbox and token, the
// cases carrying it by their newest message with it; keys.hpp), read by one
// read-only script, and the reference index. Every instance reads the same
// keys, so a search sees every instance's writes the moment they are durable.
//
// Ranking: most query tokens matched, then the newest matching message. The
// script is bounded. One token: its index is in that order already. More:
// per inbox, the rarest token's cases are walked newest first and checked
// against the others until enough carry every token (at most 5,000 are
// walked); if too few do, the 500 newest cases of each other token make up
// the rest. So a query whose rarest word is on at most 5,000 cases of an
// inbox finds every case with all its words; one of only common words finds
// the newest of them, not every old one.

#include "queue/case_store.hpp"

namespace balie::queue {

struct search_hit {
  std::string case_id;
  int matched = 0;       ///< how many of the query's tokens the case carries
  long long at_ms = 0;   ///< its newest message carrying one of them
};

/// A case as a hit shows it: its hash and its newest messages.
struct found_case {
  case_summary summary;  ///< empty fields: gone since
  std::vector<stored_message> newest;
};

class case_search {
public:
  explicit case_search(std::shared_ptr<redis_connection>);

  /// Cases in `inboxes` carrying any of `tokens`, best first, at most `want`.
  void find(std::vector<std::string> const& inboxes, std::vector<std::string> const& tokens, std::size_t want,
            std::function<void(boost::system::error_code, std::vector<search_hit>)>);

  /// The case a reference names; empty: none.
  void by_reference(std::string const& reference, std::function<void(boost::system::error_code, std::string case_id)>);

  // The one pass over cases stored before the index existed (gateway/search_backfill.hpp).
  /// Whether this instance runs the pass now (holding it for `ttl`), or it is done, or another instance holds it.
  enum class backfill_claim { done, mine, busy };
  void claim_backfill(std::chrono::seconds ttl, std::function<void(boost::system::error_code, backfill_claim)>);
  void finish_backfill(std::function<void(boost::system::error_code)>);
  /// `inbox`'s cases at ranks [offset, offset + count), oldest first; `more`: ranks remain.
  void cases_page(std::string const& inbox, std::size_t offset, std::size_t count,
                  std::function<void(boost::system::error_code, std::vector<std::string> ids, bool more)>);
  /// Indexes a case's messages (received ms, tokens) in the inbox it is in now, and sets its preview if it has none.
  void add_to_index(std::string const& case_id, std::vector<std::pair<long long, std::vector<std::string>>> const& messages,
                    std::string const& preview, std::function<void(boost::system::error_code)>);

  /// The cases' hashes and their newest `messages` each, in the order given.
  void read(std::vector<std::string> const& case_ids, std::size_t messages,
            std::function<void(boost::system::error_code, std::vector<found_case>)>);

private:
  std::shared_ptr<redis_connection> redis_;
};

inline constexpr std::size_t search_rare_window = 5000, search_window = 500;

} // namespace balie::queue
