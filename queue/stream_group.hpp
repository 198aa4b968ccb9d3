#pragma once
// Consumer-group helpers for the inbox and outbound streams: at-least-once
// delivery with XREADGROUP, XACK and XAUTOCLAIM (which also reports entries
// deleted while pending). A blocking read must run on a connection of its
// own: a blocked connection answers nothing else.

#include "queue/redis_connection.hpp"

#include <chrono>
#include <utility>

namespace balie::queue {

struct stream_entry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string field(std::string_view name) const;
};

struct autoclaim_result {
  std::string next_start;               ///< "0-0" when the whole PEL was scanned
  std::vector<stream_entry> claimed;
  std::vector<std::string> deleted_ids; ///< pending entries that no longer exist (Redis 7)
};

class stream_group {
public:
  stream_group(std::shared_ptr<redis_connection>, std::string stream, std::string group);

  /// Creates the group (and the stream) if missing; an existing group is fine.
  void ensure(std::function<void(boost::system::error_code)>);
  /// New entries for `consumer` (`>`), or its own pending ones again (`0`).
  void read(std::string const& consumer, std::size_t count, std::optional<std::chrono::milliseconds> block,
            std::string const& from, std::function<void(boost::system::error_code, std::vector<stream_entry>)>);
  void ack(std::vector<std::string> ids, std::function<void(boost::system::error_code, long long acked)>);
  void autoclaim(std::string const& consumer, std::chrono::milliseconds min_idle, std::string const& start, std::size_t count,
                 std::function<void(boost::system::error_code, autoclaim_result)>);

private:
  std::shared_ptr<redis_connection> redis_;
  std::string stream_, group_;
};

} // namespace balie::queue
