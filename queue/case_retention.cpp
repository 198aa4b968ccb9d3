#include "queue/case_retention.hpp"

#include "queue/errc.hpp"
#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"

#include <nlohmann/json.hpp>

namespace balie::queue {
namespace {

lua_script script(std::string_view body) { return lua_script(std::string("#!lua\n") + lua_prelude() + std::string(body)); }

std::string const retention_steps = std::string(R"lua(
local DESTROYED = ')lua") + std::string(keys::destroyed) + R"lua('
local TOMBSTONE = ')lua" + std::string(keys::reference_tombstone) + R"lua('

local function fields(key)
  local h = redis.call('HGETALL', key)
  local f = {}
  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
  return f
end

-- Stream ids "ms-seq" in order.
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if tonumber(am) ~= tonumber(bm) then return tonumber(am) < tonumber(bm) end
  return tonumber(as) < tonumber(bs)
end

-- Calls fn(sha256) for every file a resident's message of the case refers to; `from`/`to` bound the
-- stream ids of the messages looked at (nil: unbounded; `to` is exclusive). For the one-time pass only:
-- decoding messages in a script holds Redis up, so the destruction reads the case's `:files` list instead.
local function each_file(case_id, from, to, fn)
  for _, e in ipairs(redis.call('XRANGE', ckey(case_id, ':messages'), from or '-', '+')) do
    if to and not before(e[1], to) then break end
    local ok, m = pcall(cjson.decode, e[2][2] or '')
    if ok and type(m) == 'table' and m.direction == 'inbound' and type(m.attachments) == 'table' then
      for _, a in ipairs(m.attachments) do
        if type(a) == 'table' and type(a.sha256) == 'string' and a.sha256 ~= '' then fn(a.sha256) end
      end
    end
  end
end
)lua";

// ARGV: 1 case, 2 class, 3 reason, 4 by, 5 destroy at ('' while open), 6 the closed_at it was computed from, 7 now
lua_script const choose_script = script(retention_steps + R"lua(
local id, now = ARGV[1], ARGV[7]
local case = ckey(id)
local f = redis.call('HMGET', case, 'state', 'closed_at', 'legal_hold', 'inbox')
if not f[1] then return {-1, ''} end
if (f[1] == 'closed') ~= (ARGV[5] ~= '') or (f[1] == 'closed' and f[2] ~= ARGV[6]) then return {-7, f[1]} end
redis.call('HSET', case, 'retention_class', ARGV[2], 'retention_by', ARGV[4], 'retention_reason', ARGV[3], 'retention_at', now)
if ARGV[5] ~= '' then
  redis.call('HSET', case, 'destroy_at', ARGV[5])
  if f[3] ~= '1' then redis.call('ZADD', RETENTION, ARGV[5], id) end
end
audit(ARGV[4], 'retention.class', id, now, 'class', ARGV[2], 'reason', ARGV[3])
return {1, ''}
)lua");

// ARGV: 1 case, 2 on (1/0), 3 reason, 4 by, 5 now
lua_script const hold_script = script(retention_steps + R"lua(
local id, now = ARGV[1], ARGV[5]
local case = ckey(id)
local f = redis.call('HMGET', case, 'state', 'destroy_at')
if not f[1] then return {-1, ''} end
if ARGV[2] == '1' then
  redis.call('HSET', case, 'legal_hold', '1', 'legal_hold_reason', ARGV[3], 'legal_hold_by', ARGV[4], 'legal_hold_at', now)
  redis.call('ZREM', RETENTION, id)
else
  redis.call('HDEL', case, 'legal_hold', 'legal_hold_reason', 'legal_hold_by', 'legal_hold_at')
  if f[1] == 'closed' and f[2] then redis.call('ZADD', RETENTION, f[2], id) end
end
audit(ARGV[4], ARGV[2] == '1' and 'retention.hold' or 'retention.release', id, now, 'reason', ARGV[3])
return {1, ''}
)lua");

// ARGV: 1 case, 2 now (ms), 3 approved by ('' = the class's term)
// Returns {1, orphaned files...} destroyed, {0} no such case, {-1, why} kept.
lua_script const destroy_script = script(retention_steps + R"lua(
local id, now = ARGV[1], tonumber(ARGV[2])
local case = ckey(id)
local f = fields(case)
if not f.state then
  redis.call('ZREM', RETENTION, id)
  return {0}
end
if f.state ~= 'closed' or f.legal_hold == '1' then
  redis.call('ZREM', RETENTION, id)
  return {-1, f.state ~= 'closed' and 'open' or 'held'}
end
if ARGV[3] == '' and (not f.destroy_at or tonumber(f.destroy_at) > now) then
  -- Listed as due but not: the list is put right, so the job never meets it again before its time.
  if f.destroy_at then redis.call('ZADD', RETENTION, f.destroy_at, id) else redis.call('ZREM', RETENTION, id) end
  return {-1, 'term'}
end
-- What staff find it by: every inbox's lists, the search index, claims, the watchdog, proposals.
for _, inbox in ipairs(redis.call('SMEMBERS', INBOXES)) do
  for _, list in ipairs({':cases', ':open', ':unanswered'}) do redis.call('ZREM', ikey(inbox, list), id) end
  redis.call('SREM', ikey(inbox, ':overdue'), id)
end
for _, t in ipairs(redis.call('SMEMBERS', ckey(id, ':terms'))) do redis.call('ZREM', ikey(f.inbox, ':search:' .. t), id) end
redis.call('ZREM', CLAIMS, id)
redis.call('ZREM', WATCH, id)
redis.call('ZREM', RETENTION, id)
for _, name in ipairs(redis.call('SMEMBERS', ckey(id, ':staff'))) do redis.call('SREM', staffkey(name), id) end
if f.assignee then redis.call('SREM', staffkey(f.assignee), id) end
if f.proposed_to then redis.call('SREM', staffkey(f.proposed_to), id) end
-- Its entries in shared streams, acknowledged first so no group keeps them pending.
for _, e in ipairs(redis.call('SMEMBERS', ckey(id, ':entries'))) do
  local stream, entry = string.match(e, '^(.*) ([^ ]+)$')
  if stream then
    local group = string.find(stream, 'balie:out:', 1, true) == 1 and SENDERS or GROUP
    redis.pcall('XACK', stream, group, entry)
    redis.call('XDEL', stream, entry)
  end
end
for _, entry in ipairs(redis.call('SMEMBERS', ckey(id, ':pending'))) do
  redis.pcall('XACK', ikey(f.inbox), GROUP, entry)
  redis.call('XDEL', ikey(f.inbox), entry)
end
-- Threading keys still pointing at it (a key may point at a newer case by now).
for _, k in ipairs(redis.call('SMEMBERS', ckey(id, ':threads'))) do
  local v = redis.call('GET', k)
  if v == id or (v and string.sub(v, -(#id + 1)) == ' ' .. id) then redis.call('DEL', k) end
end
if f.conversation_id then redis.call('DEL', chatkey(f.conversation_id), chatkey(f.conversation_id, ':log')) end
-- Files: each one the case's messages were counted for (at enqueue, or by the one-time pass) is counted down.
local orphaned = {1}
for _, sha in ipairs(redis.call('LRANGE', ckey(id, ':files'), 0, -1)) do
  if redis.call('HINCRBY', FILES, sha, -1) <= 0 then
    redis.call('HDEL', FILES, sha)
    redis.call('ZADD', ORPHANED, 'NX', now, sha)
    orphaned[#orphaned + 1] = sha
  end
end
redis.call('DEL', case, ckey(id, ':messages'), ckey(id, ':notes'), ckey(id, ':delivery'), ckey(id, ':terms'),
           ckey(id, ':participants'), ckey(id, ':pending'), ckey(id, ':entries'), ckey(id, ':threads'), ckey(id, ':staff'),
           ckey(id, ':files'), ckey(id, ':openklant'))
if f.reference then redis.call('SET', refkey(f.reference), TOMBSTONE) end
local approved = ARGV[3] ~= '' and ARGV[3] or (f.retention_by or 'balie')
redis.call('XADD', DESTROYED, '*', 'reference', f.reference or '', 'inbox', f.inbox or '', 'class', f.retention_class or '',
           'closed_at', f.closed_at or '', 'destroyed_at', ARGV[2], 'approved_by', approved,
           'reason', ARGV[3] ~= '' and 'erasure request' or 'retention term')
event('case.destroyed', id, f.inbox or '')
audit('balie', 'case.destroy', id, now, 'reference', f.reference or '')
return orphaned
)lua");

// ARGV: 1 sha256. 1: no message refers to it (the file may go), 0: one does again.
lua_script const settle_script = script(R"lua(
redis.call('ZREM', ORPHANED, ARGV[1])
if tonumber(redis.call('HGET', FILES, ARGV[1]) or '0') > 0 then return 0 end
redis.call('HDEL', FILES, ARGV[1])
return 1
)lua");

// ARGV: 1 case, 2 plan JSON, 3 confidential (1/0), 4 topic
lua_script const backfill_script = script(retention_steps + R"lua(
local id = ARGV[1]
local case = ckey(id)
local f = fields(case)
if not f.state then return 0 end
if f.files_backfilled ~= '1' then
  each_file(id, nil, f.files_from, function(sha)
    redis.call('HINCRBY', FILES, sha, 1)
    redis.call('ZREM', ORPHANED, sha)
    redis.call('RPUSH', ckey(id, ':files'), sha)
  end)
  redis.call('HSET', case, 'files_backfilled', '1')
end
if ARGV[3] == '1' then redis.call('HSET', case, 'confidential', '1') end
if ARGV[4] ~= '' then redis.call('HSETNX', case, 'topic', ARGV[4]) end
if f.state == 'closed' and not f.destroy_at then start_term(id, cjson.decode(ARGV[2]), f.inbox) end
return 1
)lua");

// ARGV: pairs of case id, "<stream> <entry id>"
lua_script const track_script = script(R"lua(
for i = 1, #ARGV, 2 do
  if redis.call('EXISTS', ckey(ARGV[i])) == 1 then track_entry(ARGV[i], string.match(ARGV[i + 1], '^(.*) ([^ ]+)$')) end
end
return 1
)lua");

// ARGV: 1 lock key, 2 owner, 3 ttl (s; '' = release)
lua_script const unlock_script = script(R"lua(
if redis.call('GET', ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == '' then return redis.call('DEL', ARGV[1]) end
return redis.call('EXPIRE', ARGV[1], ARGV[3])
)lua");

void run_action(redis_connection& redis, lua_script const& s, std::vector<std::string> args, case_workflow::handler done) {
  s.run(redis, {}, std::move(args), [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    if (ec) return done(ec, {});
    if (r.elements.size() != 2) return done(errc::unexpected_reply, {});
    auto const code = r.elements[0].integer;
    done({}, action_result{code == 1 ? action_status::done : code == -1 ? action_status::not_found : action_status::stale, r.elements[1].str});
  });
}

std::vector<std::string> strings(redis_reply const& r) {
  std::vector<std::string> out;
  for (auto const& e : r.elements) out.push_back(e.str);
  return out;
}

} // namespace

std::string retention_plan::json() const {
  nlohmann::json at = nlohmann::json::object();
  for (auto const& [cls, ms] : destroy_at_ms) at[cls] = std::to_string(ms);  // strings: Lua numbers lose digits
  return nlohmann::json{{"at", at},
                        {"default", default_class},
                        {"by_inbox", by_inbox.empty() ? nlohmann::json::object() : nlohmann::json(by_inbox)},
                        {"by_topic", by_topic.empty() ? nlohmann::json::object() : nlohmann::json(by_topic)}}
      .dump();
}

case_retention::case_retention(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void case_retention::choose_class(std::string const& case_id, std::string const& cls, std::string const& reason, std::string const& by,
                                  std::optional<long long> destroy_at_ms, std::string const& closed_at, long long now_ms,
                                  case_workflow::handler done) {
  run_action(*redis_, choose_script,
             {case_id, cls, reason, by, destroy_at_ms ? std::to_string(*destroy_at_ms) : std::string{}, closed_at, std::to_string(now_ms)},
             std::move(done));
}

void case_retention::hold(std::string const& case_id, bool on, std::string const& reason, std::string const& by, long long now_ms,
                          case_workflow::handler done) {
  run_action(*redis_, hold_script, {case_id, on ? "1" : "0", reason, by, std::to_string(now_ms)}, std::move(done));
}

void case_retention::due(long long now_ms, std::size_t limit, std::function<void(boost::system::error_code, std::vector<std::string>)> done) {
  redis_->execute({"ZRANGEBYSCORE", std::string(keys::retention), "-inf", std::to_string(now_ms), "LIMIT", "0", std::to_string(limit)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, ec ? std::vector<std::string>{} : strings(r)); });
}

void case_retention::destroy(std::string const& case_id, long long now_ms, std::string const& approved_by,
                             std::function<void(boost::system::error_code, destroy_result)> done) {
  destroy_script.run(*redis_, {}, {case_id, std::to_string(now_ms), approved_by},
                     [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                       if (ec) return done(ec, {});
                       if (r.elements.empty()) return done(errc::unexpected_reply, {});
                       destroy_result out;
                       auto const code = r.elements[0].integer;
                       out.status = code == 1 ? destroy_status::destroyed : code == 0 ? destroy_status::gone : destroy_status::kept;
                       if (code == 1)
                         for (std::size_t i = 1; i < r.elements.size(); ++i) out.orphaned.push_back(r.elements[i].str);
                       done({}, std::move(out));
                     });
}

void case_retention::orphans(std::size_t limit, std::function<void(boost::system::error_code, std::vector<std::string>)> done) {
  redis_->execute({"ZRANGE", std::string(keys::files_orphaned), "0", std::to_string(static_cast<long long>(limit) - 1)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, ec ? std::vector<std::string>{} : strings(r)); });
}

void case_retention::settle_orphan(std::string const& sha256, std::function<void(boost::system::error_code, bool)> done) {
  settle_script.run(*redis_, {}, {sha256},
                    [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

void case_retention::destroyed_list(std::string const& after, std::size_t limit,
                                    std::function<void(boost::system::error_code, std::vector<destroyed_entry>)> done) {
  redis_->execute({"XRANGE", std::string(keys::destroyed), after == "-" ? "-" : "(" + after, "+", "COUNT", std::to_string(limit)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                    std::vector<destroyed_entry> out;
                    if (!ec)
                      for (auto const& e : r.elements)
                        if (e.elements.size() == 2) out.push_back({e.elements[0].str, pairs(e.elements[1])});
                    done(ec, std::move(out));
                  });
}

void case_retention::trim(std::string const& stream, long long before_ms,
                          std::function<void(boost::system::error_code, long long)> done) {
  redis_->execute({"XTRIM", stream, "MINID", std::to_string(before_ms) + "-0"},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, ec ? 0 : r.integer); });
}

void case_retention::backfill_case(std::string const& case_id, std::string const& plan_json, bool confidential, std::string const& topic,
                                   std::function<void(boost::system::error_code)> done) {
  backfill_script.run(*redis_, {}, {case_id, plan_json, confidential ? "1" : "0", topic},
                      [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

void case_retention::track_entries(std::vector<std::pair<std::string, std::string>> const& entries,
                                   std::function<void(boost::system::error_code)> done) {
  if (entries.empty()) return done({});
  std::vector<std::string> args;
  for (auto const& [case_id, entry] : entries) {
    args.push_back(case_id);
    args.push_back(entry);
  }
  track_script.run(*redis_, {}, std::move(args), [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

void case_retention::upgraded(std::function<void(boost::system::error_code, bool)> done) {
  redis_->execute({"EXISTS", std::string(keys::privacy_backfilled)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

void case_retention::lock(std::string const& key, std::string const& owner, std::chrono::seconds ttl,
                          std::function<void(boost::system::error_code, bool)> done) {
  redis_->execute({"SET", key, owner, "NX", "EX", std::to_string(ttl.count())},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.type == redis_reply::kind::status); });
}

void case_retention::unlock(std::string const& key, std::string const& owner, std::function<void(boost::system::error_code)> done) {
  unlock_script.run(*redis_, {}, {key, owner, ""}, [done = std::move(done)](boost::system::error_code ec, redis_reply) {
    if (done) done(ec);
  });
}

void case_retention::renew(std::string const& key, std::string const& owner, std::chrono::seconds ttl) {
  unlock_script.run(*redis_, {}, {key, owner, std::to_string(ttl.count())}, [](auto, auto) {});
}

} // namespace balie::queue
