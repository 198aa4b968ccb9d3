#include "queue/routing_store.hpp"

#include "queue/keys.hpp"
#include "queue/lua_script.hpp"

namespace balie::queue {
namespace {

/// Rule sets kept in the history; the audit stream keeps every change's who, when and why.
constexpr char const* history_length = "1000";

// KEYS: 1 balie:routing, 2 history, 3 events, 4 audit.
// ARGV: 1 document, 2 by, 3 at, 4 reason, 5 "seed" or "replace", 6 history length.
// Returns {changed (0/1), version}.
lua_script const replace_script(R"lua(#!lua
local current = redis.call('HGET', KEYS[1], 'document')
if ARGV[5] == 'seed' and current then return {0, tonumber(redis.call('HGET', KEYS[1], 'version') or '0')} end
if current == ARGV[1] then return {0, tonumber(redis.call('HGET', KEYS[1], 'version') or '0')} end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'document', ARGV[1], 'by', ARGV[2], 'at', ARGV[3], 'reason', ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'version', version, 'document', ARGV[1], 'by', ARGV[2], 'at', ARGV[3], 'reason', ARGV[4])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'type', 'routing.changed', 'version', version)
redis.call('XADD', KEYS[4], '*', 'actor', ARGV[2], 'action', 'routing.' .. (ARGV[5] == 'seed' and 'seeded' or 'changed'), 'version', version,
           'at', ARGV[3], 'reason', ARGV[4])
return {1, version}
)lua");

} // namespace

routing_store::routing_store(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void routing_store::load(std::function<void(boost::system::error_code, std::optional<stored_routing>)> done) {
  redis_->execute({"HGETALL", std::string(keys::routing)}, [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    if (ec) return done(ec, std::nullopt);
    stored_routing s;
    bool found = false;
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
      auto const& field = r.elements[i].str;
      auto const& value = r.elements[i + 1].str;
      if (field == "document") s.document = value, found = true;
      else if (field == "version") s.version = std::atoll(value.c_str());
      else if (field == "by") s.by = value;
      else if (field == "at") s.at = value;
      else if (field == "reason") s.reason = value;
    }
    done({}, found ? std::optional(std::move(s)) : std::nullopt);
  });
}

void routing_store::seed(routing_change const& initial, std::function<void(boost::system::error_code)> done) {
  replace_script.run(*redis_, {std::string(keys::routing), std::string(keys::routing_history), std::string(keys::events), std::string(keys::audit)},
                     {initial.document, initial.by, initial.at, initial.reason, "seed", history_length},
                     [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

void routing_store::replace(routing_change const& c, std::function<void(boost::system::error_code, bool, long long)> done) {
  replace_script.run(*redis_, {std::string(keys::routing), std::string(keys::routing_history), std::string(keys::events), std::string(keys::audit)},
                     {c.document, c.by, c.at, c.reason, "replace", history_length},
                     [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                       if (ec) return done(ec, false, 0);
                       bool const changed = r.elements.size() == 2 && r.elements[0].integer == 1;
                       done({}, changed, r.elements.size() == 2 ? r.elements[1].integer : 0);
                     });
}

} // namespace balie::queue
