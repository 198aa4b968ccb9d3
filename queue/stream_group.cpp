#include "queue/stream_group.hpp"

namespace balie::queue {
namespace {

/// A blocking read may take the server's BLOCK time; the watchdog allows this much more.
constexpr std::chrono::milliseconds block_margin{2000};

/// Stream reads come back as [[id, [field, value, ...]], ...].
std::vector<stream_entry> entries(redis_reply const& list) {
  std::vector<stream_entry> out;
  for (auto const& e : list.elements) {
    if (e.elements.size() != 2) continue;
    stream_entry entry{e.elements[0].str, {}};
    auto const& kv = e.elements[1].elements;
    for (std::size_t i = 0; i + 1 < kv.size(); i += 2) entry.fields.emplace_back(kv[i].str, kv[i + 1].str);
    out.push_back(std::move(entry));
  }
  return out;
}

} // namespace

std::string stream_entry::field(std::string_view name) const {
  for (auto const& [k, v] : fields)
    if (k == name) return v;
  return {};
}

stream_group::stream_group(std::shared_ptr<redis_connection> redis, std::string stream, std::string group)
    : redis_(std::move(redis)), stream_(std::move(stream)), group_(std::move(group)) {}

void stream_group::ensure(std::function<void(boost::system::error_code)> done) {
  redis_->execute({"XGROUP", "CREATE", stream_, group_, "0", "MKSTREAM"},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                    if (ec == errc::error_reply && r.str.rfind("BUSYGROUP", 0) == 0) ec = {};
                    done(ec);
                  });
}

void stream_group::read(std::string const& consumer, std::size_t count, std::optional<std::chrono::milliseconds> block,
                        std::string const& from, std::function<void(boost::system::error_code, std::vector<stream_entry>)> done) {
  std::vector<std::string> cmd = {"XREADGROUP", "GROUP", group_, consumer, "COUNT", std::to_string(count)};
  std::optional<std::chrono::milliseconds> timeout;
  if (block) {
    cmd.insert(cmd.end(), {"BLOCK", std::to_string(block->count())});
    timeout = *block + block_margin;
  }
  cmd.insert(cmd.end(), {"STREAMS", stream_, from});
  redis_->execute(
      std::move(cmd),
      [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
        if (ec) return done(ec, {});
        if (r.type == redis_reply::kind::nil || r.elements.empty()) return done({}, {});  // BLOCK ran out
        done({}, entries(r.elements[0].elements.size() == 2 ? r.elements[0].elements[1] : redis_reply{}));
      },
      timeout);
}

void stream_group::ack(std::vector<std::string> ids, std::function<void(boost::system::error_code, long long)> done) {
  std::vector<std::string> cmd = {"XACK", stream_, group_};
  cmd.insert(cmd.end(), std::make_move_iterator(ids.begin()), std::make_move_iterator(ids.end()));
  redis_->execute(std::move(cmd), [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, r.integer); });
}

void stream_group::autoclaim(std::string const& consumer, std::chrono::milliseconds min_idle, std::string const& start,
                             std::size_t count, std::function<void(boost::system::error_code, autoclaim_result)> done) {
  redis_->execute({"XAUTOCLAIM", stream_, group_, consumer, std::to_string(min_idle.count()), start, "COUNT", std::to_string(count)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                    if (ec) return done(ec, {});
                    if (r.elements.size() < 2) return done(errc::unexpected_reply, {});
                    autoclaim_result out{r.elements[0].str, entries(r.elements[1]), {}};
                    if (r.elements.size() > 2)
                      for (auto const& id : r.elements[2].elements) out.deleted_ids.push_back(id.str);
                    done({}, std::move(out));
                  });
}

} // namespace balie::queue
