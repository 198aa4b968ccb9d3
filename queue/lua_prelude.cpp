#include "queue/lua_prelude.hpp"

#include "queue/keys.hpp"

namespace balie::queue {
namespace {

/// `local NAME = 'value'`: a key name from keys.hpp as a Lua constant.
std::string lua_constant(std::string_view name, std::string_view value) {
  return "local " + std::string(name) + " = '" + std::string(value) + "'\n";
}

/// A Lua function `name(x, suffix)` building the key that `make(x)` builds, plus
/// an optional suffix: the C++ function is called once with a marker and split there.
std::string lua_key_function(std::string_view name, std::string (*make)(std::string_view)) {
  constexpr std::string_view marker = "\x01";
  auto const key = make(marker);
  auto const at = key.find(marker);
  return "local function " + std::string(name) + "(x, suffix) return '" + key.substr(0, at) + "' .. x .. '" + key.substr(at + marker.size()) +
         "' .. (suffix or '') end\n";
}

constexpr std::string_view shared_steps = R"lua(
local UNASSIGNED = 'unassigned'
local EVENTS_MAX = '100000'
-- A closed case's conversation expires `seconds` later; a reopened one lives on.
local function expire_conversation(case_id, seconds)
  local conv = redis.call('HGET', ckey(case_id), 'conversation_id')
  if not conv then return end
  for _, k in ipairs({chatkey(conv), chatkey(conv, ':log')}) do
    if seconds then redis.call('EXPIRE', k, seconds) else redis.call('PERSIST', k) end
  end
end
local function consumer_of(assignee) if assignee then return 'staff:' .. assignee end return UNASSIGNED end

-- An event for live updates: what happened to which case, never contents.
local function event(kind, case_id, inbox, ...)
  return redis.call('XADD', EVENTS, 'MAXLEN', '~', EVENTS_MAX, '*',
                    'type', kind, 'case_id', case_id, 'inbox', inbox, ...)
end

-- Who did what to which case, and when; never contents.
local function audit(actor, action, case_id, now, ...)
  redis.call('XADD', AUDIT, '*', 'actor', actor, 'action', action, 'case_id', case_id, 'at', now, ...)
end

local function ensure_group(stream, group)
  if redis.call('EXISTS', stream) == 0 then
    redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
  end
end

-- Runs `cmd` with `head` arguments, then ids in chunks, then `tail`.
local function chunked(head, ids, tail)
  for i = 1, #ids, 100 do
    local args = {}
    for _, a in ipairs(head) do args[#args + 1] = a end
    for j = i, math.min(i + 99, #ids) do args[#args + 1] = ids[j] end
    for _, a in ipairs(tail or {}) do args[#args + 1] = a end
    redis.call(unpack(args))
  end
end

-- The search index: per inbox and token, the cases carrying it, by their newest message with it (keys.hpp).
local function index_case(case_id, inbox, tokens, at)
  for _, t in ipairs(tokens) do redis.call('ZADD', ikey(inbox, ':search:' .. t), 'GT', at, case_id) end
  chunked({'SADD', ckey(case_id, ':terms')}, tokens)
end

-- A case's index entries follow it to another inbox.
local function move_index(case_id, from, to)
  for _, t in ipairs(redis.call('SMEMBERS', ckey(case_id, ':terms'))) do
    local k = ikey(from, ':search:' .. t)
    local at = redis.call('ZSCORE', k, case_id)
    if at then
      redis.call('ZREM', k, case_id)
      redis.call('ZADD', ikey(to, ':search:' .. t), 'GT', at, case_id)
    end
  end
end

-- The case's unanswered messages become pending for `consumer`.
local function move_pending(case_id, inbox, consumer)
  local ids = redis.call('SMEMBERS', ckey(case_id, ':pending'))
  chunked({'XCLAIM', ikey(inbox), GROUP, consumer, '0'}, ids, {'JUSTID'})
end

-- All the case's messages are answered: acknowledged in the inbox's group.
local function ack_pending(case_id, inbox)
  local ids = redis.call('SMEMBERS', ckey(case_id, ':pending'))
  chunked({'XACK', ikey(inbox), GROUP}, ids)
  redis.call('DEL', ckey(case_id, ':pending'))
  redis.call('HSET', ckey(case_id), 'waiting', 0)
  redis.call('ZREM', ikey(inbox, ':unanswered'), case_id)
end

-- The fields every action checks; nil state means there is no such case.
local function load_case(case_id)
  local f = redis.call('HMGET', ckey(case_id), 'state', 'inbox', 'assignee', 'claim_expires_at')
  return {state = f[1] or nil, inbox = f[2], assignee = f[3] or nil, expires = tonumber(f[4] or '0') or 0}
end

-- A live claim of someone else stops an action.
local function claimed_by_other(c, actor, now)
  return c.state == 'claimed' and c.assignee ~= actor and c.expires > now
end

-- A person acted on the case (claim, reply, note, transfer, close): the promise to the resident is kept
-- as far as the watchdog goes; an overdue mark ends. An assignment is no such action.
local function human_action(case_id, now)
  local case = ckey(case_id)
  local watched = redis.call('ZREM', WATCH, case_id) == 1
  local was = redis.call('HGET', case, 'overdue_inbox')
  if was then redis.call('SREM', ikey(was, ':overdue'), case_id) end
  if watched or was then
    redis.call('HDEL', case, 'overdue_since', 'overdue_inbox')
    redis.call('HSET', case, 'human_at', now)
  end
end

-- One step up, at most to `cap`.
local PRIORITIES = {'low', 'normal', 'high', 'urgent'}
local function raised(priority, cap)
  for i, p in ipairs(PRIORITIES) do
    if p == priority then
      if p == cap or i == #PRIORITIES then return p end
      return PRIORITIES[i + 1]
    end
  end
  return 'high'
end

-- A case left closed: no longer waiting for its retention term.
local function retention_ends(case_id)
  redis.call('ZREM', RETENTION, case_id)
  redis.call('HDEL', ckey(case_id), 'destroy_at')
end

-- The term of a closed case starts from a plan computed for its close (queue/case_retention.hpp): the class
-- records staff chose, else the class for its topic, for its inbox, or the default. A held case does not wait.
local function start_term(case_id, plan, inbox)
  local case = ckey(case_id)
  local f = redis.call('HMGET', case, 'retention_class', 'retention_by', 'topic', 'legal_hold')
  local class = f[1]
  if not (f[2] and f[2] ~= 'balie' and class and plan.at[class]) then
    class = (f[3] and plan.by_topic[f[3]]) or plan.by_inbox[inbox] or plan.default
    redis.call('HSET', case, 'retention_by', 'balie')
  end
  redis.call('HSET', case, 'retention_class', class, 'destroy_at', plan.at[class])
  if f[4] ~= '1' then redis.call('ZADD', RETENTION, plan.at[class], case_id) end
end

-- The case joins a person's cases; the case remembers whose lists it was in, for its destruction.
local function give_to(case_id, name)
  redis.call('SADD', staffkey(name), case_id)
  redis.call('SADD', ckey(case_id, ':staff'), name)
end

-- Records that the case has an entry in a shared stream, so its destruction finds it without a scan.
local function track_entry(case_id, stream, id)
  redis.call('SADD', ckey(case_id, ':entries'), stream .. ' ' .. id)
end

local function touch(case_id, inbox, now)
  redis.call('HSET', ckey(case_id), 'updated_at', now)
  redis.call('ZADD', ikey(inbox, ':cases'), now, case_id)
  redis.call('ZADD', ikey(inbox, ':open'), 'XX', now, case_id)
end
)lua";

} // namespace

std::string const& lua_prelude() {
  static std::string const prelude = [] {
    std::string out;
    out += lua_constant("GROUP", keys::staff_group);
    out += lua_constant("SENDERS", keys::senders_group);
    out += lua_constant("EVENTS", keys::events);
    out += lua_constant("AUDIT", keys::audit);
    out += lua_constant("INBOXES", keys::inboxes);
    out += lua_constant("CLAIMS", keys::claims);
    out += lua_constant("WATCH", keys::watch);
    out += lua_constant("SMS_OPT_OUT", keys::sms_opt_out);
    out += lua_constant("RETENTION", keys::retention);
    out += lua_constant("FILES", keys::files);
    out += lua_constant("ORPHANED", keys::files_orphaned);
    out += lua_key_function("ckey", keys::case_hash);
    out += lua_key_function("ikey", keys::inbox_stream);
    out += lua_key_function("outkey", keys::outbound);
    out += lua_key_function("refkey", keys::reference);
    out += lua_key_function("staffkey", keys::staff_cases);
    // A web-chat conversation: its hash, and its log (suffix ':log'); a chat session by its token's hash.
    out += lua_key_function("chatkey", keys::chat_conversation);
    out += lua_key_function("sessionkey", keys::chat_session);
    return out + std::string(shared_steps);
  }();
  return prelude;
}

} // namespace balie::queue
