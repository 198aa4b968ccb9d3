#include "queue/answer_watch.hpp"

#include "queue/keys.hpp"
#include "queue/case_store.hpp"
#include "queue/lua_prelude.hpp"

namespace balie::queue {
namespace {

// ARGV: 1 now (ms), 2 limit, 3 the team notices' outbox, then pairs of inbox and team address.
// Returns a flat list: case, inbox, stage, priority per finding.
lua_script const& sweep_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + R"lua(
local now = tonumber(ARGV[1])
local out = {}
local team = {}
for i = 4, #ARGV, 2 do team[ARGV[i]] = ARGV[i + 1] end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', WATCH, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))) do
  local case = ckey(id)
  local f = redis.call('HMGET', case, 'state', 'inbox', 'priority', 'overdue_since', 'report_at')
  if not f[1] or f[1] == 'closed' then
    redis.call('ZREM', WATCH, id)  -- gone, or closed: nobody waits any more
  elseif not f[4] then
    local p = raised(f[3] or 'normal', 'urgent')
    redis.call('HSET', case, 'overdue_since', now, 'overdue_inbox', f[2], 'priority', p)
    redis.call('SADD', ikey(f[2], ':overdue'), id)
    local report_at = tonumber(f[5] or '0') or 0
    redis.call('ZADD', WATCH, math.max(report_at, now), id)
    event('case.overdue', id, f[2], 'priority', p)
    audit('balied', 'case.overdue', id, now, 'inbox', f[2])
    for _, v in ipairs({id, f[2], 'overdue', p}) do out[#out + 1] = v end
  else
    redis.call('HSET', case, 'reported_at', now)
    redis.call('ZREM', WATCH, id)
    event('case.overdue_reported', id, f[2])
    audit('balied', 'case.overdue_reported', id, now, 'inbox', f[2])
    if team[f[2]] then
      local c = redis.call('HMGET', case, 'reference', 'answer_by', 'promised_at', 'overdue_since')
      local notice = cjson.encode({to = team[f[2]], inbox = f[2], reference = c[1] or '', answer_by = tonumber(c[2] or '0') or 0,
                                   promised_at = tonumber(c[3] or '0') or 0, overdue_since = tonumber(c[4] or '0') or 0, reported_at = now})
      ensure_group(ARGV[3], SENDERS)  -- a sender that starts later still finds it
      redis.call('XADD', ARGV[3], '*', 'case_id', id, 'message_id', '', 'automatic', '1', 'msg', notice)
    end
    for _, v in ipairs({id, f[2], 'reported', f[3] or 'normal'}) do out[#out + 1] = v end
  end
end
return out
)lua");
  return s;
}

} // namespace

answer_watch::answer_watch(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

// A read first: most sweeps find nothing due, and then write nothing.
void answer_watch::sweep(long long now_ms, std::size_t limit, std::map<std::string, std::string> const& team_addresses,
                         std::function<void(boost::system::error_code, std::vector<watch_finding>)> done) {
  auto const now = std::to_string(now_ms);
  std::vector<std::string> args{now, std::to_string(limit), keys::outbound(keys::team_notices)};
  for (auto const& [inbox, address] : team_addresses) {
    args.push_back(inbox);
    args.push_back(address);
  }
  redis_->execute({"ZRANGEBYSCORE", std::string(keys::watch), "-inf", now, "LIMIT", "0", "1"},
                  [redis = redis_, args = std::move(args), done = std::move(done)](boost::system::error_code ec, redis_reply due) mutable {
                    if (ec || due.elements.empty()) return done(ec, {});
                    sweep_script().run(*redis, {}, std::move(args), [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                      std::vector<watch_finding> out;
                      for (std::size_t i = 0; !ec && i + 3 < r.elements.size(); i += 4)
                        out.push_back({r.elements[i].str, r.elements[i + 1].str, r.elements[i + 2].str, r.elements[i + 3].str});
                      done(ec, std::move(out));
                    });
                  });
}

void answer_watch::overdue_counts(std::vector<std::string> const& inboxes, std::function<void(boost::system::error_code, std::vector<long long>)> done) {
  std::vector<std::vector<std::string>> commands;
  for (auto const& inbox : inboxes) commands.push_back({"SCARD", keys::inbox_overdue(inbox)});
  if (commands.empty()) return done({}, {});
  run_all(*redis_, std::move(commands), [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
    std::vector<long long> out;
    for (auto const& each : r) out.push_back(each.integer);
    done(ec, std::move(out));
  });
}

} // namespace balie::queue
