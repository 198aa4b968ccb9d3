#include "queue/saved_replies.hpp"

#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"

namespace balie::queue {
namespace {

std::string constants() {
  return "local REPLIES = '" + std::string(keys::saved_replies) + "'\nlocal SEEDED = '" + std::string(keys::saved_replies_seeded) + "'\n";
}

lua_script const& put_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + constants() + R"lua(
-- ARGV: 1 id, 2 JSON, 3 actor, 4 now
local created = redis.call('HSET', REPLIES, ARGV[1], ARGV[2])
redis.call('XADD', AUDIT, '*', 'actor', ARGV[3], 'action', 'saved_reply.put', 'reply', ARGV[1], 'at', ARGV[4])
return created
)lua");
  return s;
}

lua_script const& remove_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + constants() + R"lua(
-- ARGV: 1 id, 2 actor, 3 now
local existed = redis.call('HDEL', REPLIES, ARGV[1])
if existed == 1 then
  redis.call('XADD', AUDIT, '*', 'actor', ARGV[2], 'action', 'saved_reply.delete', 'reply', ARGV[1], 'at', ARGV[3])
end
return existed
)lua");
  return s;
}

lua_script const& seed_script() {
  static lua_script const s(std::string("#!lua\n") + constants() + R"lua(
-- ARGV: id, JSON, id, JSON, ...
if redis.call('SET', SEEDED, '1', 'NX') == false then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSETNX', REPLIES, ARGV[i], ARGV[i + 1]) end
return 1
)lua");
  return s;
}

} // namespace

saved_replies::saved_replies(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void saved_replies::list(std::function<void(boost::system::error_code, std::vector<std::string>)> done) {
  redis_->execute({"HVALS", std::string(keys::saved_replies)}, [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    std::vector<std::string> out;
    for (auto const& e : r.elements) out.push_back(e.str);
    done(ec, std::move(out));
  });
}

void saved_replies::put(std::string const& id, std::string const& json, std::string const& actor, long long now_ms,
                        std::function<void(boost::system::error_code, bool)> done) {
  put_script().run(*redis_, {}, {id, json, actor, std::to_string(now_ms)},
                   [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

void saved_replies::remove(std::string const& id, std::string const& actor, long long now_ms, std::function<void(boost::system::error_code, bool)> done) {
  remove_script().run(*redis_, {}, {id, actor, std::to_string(now_ms)},
                      [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

void saved_replies::seed(std::vector<std::pair<std::string, std::string>> const& replies, std::function<void(boost::system::error_code, bool)> done) {
  std::vector<std::string> args;
  for (auto const& [id, json] : replies) args.push_back(id), args.push_back(json);
  seed_script().run(*redis_, {}, std::move(args), [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

} // namespace balie::queue
