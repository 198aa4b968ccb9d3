#pragma once
// Saved replies in Redis: one hash, id → the reply's JSON (gateway/
// saved_replies.hpp reads and checks it), shared by every instance. A change
// and its audit line are one script. The shipped examples are added once, on
// the first start that finds no mark: an admin's later edits and deletions
// stand.

#include "queue/lua_script.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace balie::queue {

class saved_replies {
public:
  explicit saved_replies(std::shared_ptr<redis_connection>);

  /// Every stored reply's JSON.
  void list(std::function<void(boost::system::error_code, std::vector<std::string>)>);
  /// Stores `json` under `id`; `created` says whether it is new.
  void put(std::string const& id, std::string const& json, std::string const& actor, long long now_ms,
           std::function<void(boost::system::error_code, bool created)>);
  /// Removes `id`; `existed` says whether there was one.
  void remove(std::string const& id, std::string const& actor, long long now_ms, std::function<void(boost::system::error_code, bool existed)>);
  /// Adds `replies` (id, JSON) unless they were added before; `added` says whether they were now.
  void seed(std::vector<std::pair<std::string, std::string>> const& replies, std::function<void(boost::system::error_code, bool added)>);

private:
  std::shared_ptr<redis_connection> redis_;
};

} // namespace balie::queue
