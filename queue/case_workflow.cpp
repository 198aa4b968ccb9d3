// Every script returns {code, detail}: 1 done, or a negative code for the
// check that stopped it (see `status_of`). All checks run before the first
// write, so a refused action changes nothing.
#include "queue/case_workflow.hpp"

#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"

namespace balie::queue {
namespace {

// What every staff action script shares besides the prelude: the gateway
// checks access against the case's inbox, then runs the script; a transfer in
// between must not slip through, so the checked inbox is the script's last
// argument ('' for Balie's own actions) and a case that moved since is refused.
constexpr std::string_view checked_inbox = R"lua(
local function moved_since_check(c)
  local want = ARGV[#ARGV]
  return want ~= '' and c.inbox ~= want
end
)lua";

lua_script script(std::string_view body) {
  return lua_script(std::string("#!lua\n") + lua_prelude() + std::string(checked_inbox) + std::string(body));
}

// ARGV: 1 case, 2 actor, 3 now, 4 ttl ms
lua_script const claim_script = script(R"lua(
local id, actor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local c = load_case(id)
if not c.state then return {-1, ''} end
if moved_since_check(c) then return {-9, ''} end
if c.state == 'closed' then return {-2, ''} end
if claimed_by_other(c, actor, now) then return {-3, c.assignee} end
move_pending(id, c.inbox, consumer_of(actor))
local expires = now + tonumber(ARGV[4])
redis.call('HSET', ckey(id), 'state', 'claimed', 'assignee', actor, 'claim_expires_at', expires)
redis.call('ZADD', CLAIMS, expires, id)
give_to(id, actor)
if c.state ~= 'claimed' or c.assignee ~= actor then event('case.claimed', id, c.inbox) end
human_action(id, now)
audit(actor, 'case.claim', id, now)
return {1, ''}
)lua");

// The end of a claim, by its holder or by expiry: the case's unanswered
// messages go back to the inbox's `unassigned` consumer.
constexpr std::string_view unclaim = R"lua(
local function unclaim(id, c)
  move_pending(id, c.inbox, UNASSIGNED)
  redis.call('HSET', ckey(id), 'state', 'open')
  redis.call('HDEL', ckey(id), 'assignee', 'claim_expires_at')
  redis.call('ZREM', CLAIMS, id)
end
)lua";

// ARGV: 1 case, 2 actor, 3 now
lua_script const release_script = script(std::string(unclaim) + R"lua(
local id, actor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local c = load_case(id)
if not c.state then return {-1, ''} end
if moved_since_check(c) then return {-9, ''} end
if c.state ~= 'claimed' then return {-4, ''} end
if claimed_by_other(c, actor, now) then return {-3, c.assignee} end
unclaim(id, c)
event('case.released', id, c.inbox)
audit(actor, 'case.release', id, now)
return {1, ''}
)lua");

// ARGV: 1 now, 2 limit
lua_script const expire_script = script(std::string(unclaim) + R"lua(
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', CLAIMS, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local n = 0
for _, id in ipairs(due) do
  local c = load_case(id)
  if c.state == 'claimed' and c.expires <= now then
    unclaim(id, c)
    event('case.released', id, c.inbox, 'reason', 'expired')
    audit('balied', 'case.claim_expired', id, now, 'assignee', c.assignee)
    n = n + 1
  else
    redis.call('ZREM', CLAIMS, id)
  end
end
return {1, tostring(n)}
)lua");

// ARGV: 1 case, 2 actor, 3 target inbox, 4 now
lua_script const transfer_script = script(R"lua(
local id, actor, target, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local c = load_case(id)
if not c.state then return {-1, ''} end
if moved_since_check(c) then return {-9, ''} end
if c.state == 'closed' then return {-2, ''} end
if claimed_by_other(c, actor, now) then return {-3, c.assignee} end
if c.inbox == target then return {-5, ''} end
local from, to = ikey(c.inbox), ikey(target)
ensure_group(to, GROUP)
-- Unanswered messages move to the new inbox's stream, pending for nobody yet.
local moved = {}
for _, sid in ipairs(redis.call('SMEMBERS', ckey(id, ':pending'))) do
  local e = redis.call('XRANGE', from, sid, sid)
  redis.call('XACK', from, GROUP, sid)
  if #e == 1 then moved[#moved + 1] = redis.call('XADD', to, '*', unpack(e[1][2])) end
end
redis.call('DEL', ckey(id, ':pending'))
redis.call('HSET', ckey(id), 'waiting', #moved)
if #moved > 0 then
  chunked({'SADD', ckey(id, ':pending')}, moved)
  redis.call('XREADGROUP', 'GROUP', GROUP, UNASSIGNED, 'COUNT', #moved + 100, 'STREAMS', to, '>')
end
local oldest = redis.call('ZSCORE', ikey(c.inbox, ':unanswered'), id)
for _, index in ipairs({':cases', ':open', ':unanswered'}) do redis.call('ZREM', ikey(c.inbox, index), id) end
redis.call('ZADD', ikey(target, ':cases'), now, id)
redis.call('ZADD', ikey(target, ':open'), now, id)
move_index(id, c.inbox, target)
if oldest and #moved > 0 then redis.call('ZADD', ikey(target, ':unanswered'), oldest, id) end
redis.call('HSET', ckey(id), 'inbox', target, 'state', 'open', 'updated_at', now)
redis.call('HDEL', ckey(id), 'assignee', 'claim_expires_at', 'proposed_to', 'proposed_at')  -- the new inbox's staff decide
redis.call('ZREM', CLAIMS, id)
redis.call('SADD', INBOXES, target)
event('case.transferred', id, c.inbox, 'to_inbox', target)
event('case.transferred', id, target, 'from_inbox', c.inbox)
human_action(id, now)
audit(actor, 'case.transfer', id, now, 'from_inbox', c.inbox, 'to_inbox', target)
return {1, ''}
)lua");

// ARGV: 1 case, 2 actor, 3 now, 4 seconds its chat conversation is kept, 5 the retention plan
// (queue/case_retention.hpp: {"at": {class: ms}, "default", "by_inbox", "by_topic"}; '' = none),
// 6 the outbox of the hand-over to Open Klant ('' = none): the case goes there, tracked for its destruction
lua_script const close_script = script(R"lua(
local id, actor, now, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local c = load_case(id)
if not c.state then return {-1, ''} end
if moved_since_check(c) then return {-9, ''} end
if c.state == 'closed' then return {-2, ''} end
if claimed_by_other(c, actor, now) then return {-3, c.assignee} end
ack_pending(id, c.inbox)
redis.call('ZREM', ikey(c.inbox, ':open'), id)
redis.call('ZREM', CLAIMS, id)
redis.call('HSET', ckey(id), 'state', 'closed', 'closed_at', now)
redis.call('HDEL', ckey(id), 'assignee', 'claim_expires_at')
expire_conversation(id, keep)
if ARGV[5] ~= '' then start_term(id, cjson.decode(ARGV[5]), c.inbox) end
if ARGV[6] ~= '' then
  ensure_group(ARGV[6], SENDERS)
  track_entry(id, ARGV[6], redis.call('XADD', ARGV[6], '*', 'case_id', id, 'message_id', '', 'msg', '', 'automatic', '1'))
end
touch(id, c.inbox, now)
event('case.closed', id, c.inbox)
human_action(id, now)
audit(actor, 'case.close', id, now)
return {1, ''}
)lua");

// ARGV: 1 case, 2 actor, 3 now
lua_script const reopen_script = script(R"lua(
local id, actor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local c = load_case(id)
if not c.state then return {-1, ''} end
if moved_since_check(c) then return {-9, ''} end
if c.state ~= 'closed' then return {-6, ''} end
redis.call('HSET', ckey(id), 'state', 'open')
expire_conversation(id, nil)
retention_ends(id)
redis.call('HDEL', ckey(id), 'closed_at')
redis.call('ZADD', ikey(c.inbox, ':open'), now, id)
touch(id, c.inbox, now)
event('case.reopened', id, c.inbox)
audit(actor, 'case.reopen', id, now)
return {1, ''}
)lua");

// ARGV: 1 case, 2 actor, 3 now, 4 text
lua_script const note_script = script(R"lua(
local id, actor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local c = load_case(id)
if not c.state then return {-1, ''} end
if moved_since_check(c) then return {-9, ''} end
local note = redis.call('XADD', ckey(id, ':notes'), '*', 'author', actor, 'text', ARGV[4], 'created_at', now)
touch(id, c.inbox, now)
event('note.created', id, c.inbox, 'note_id', note)
human_action(id, now)
audit(actor, 'case.note', id, now, 'note_id', note)
return {1, note}
)lua");

// ARGV: 1 case, 2 actor, 3 now, 4 claim ttl ms, 5 message id, 6 channel, 7 message JSON, 8 delivery JSON
lua_script const reply_script = script(R"lua(
local id, actor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local c = load_case(id)
if not c.state then return {-1, ''} end
if moved_since_check(c) then return {-9, ''} end
if c.state == 'closed' then return {-2, ''} end
if claimed_by_other(c, actor, now) then return {-3, c.assignee} end
redis.call('XADD', ckey(id, ':messages'), '*', 'msg', ARGV[7])
redis.call('HSET', ckey(id, ':delivery'), ARGV[5], ARGV[8])
local out = outkey(ARGV[6])
ensure_group(out, SENDERS)
local out_id = redis.call('XADD', out, '*', 'case_id', id, 'message_id', ARGV[5], 'msg', ARGV[7])
track_entry(id, out, out_id)
-- Answered: the case's waiting messages are acknowledged; the replier holds the claim.
ack_pending(id, c.inbox)
local expires = now + tonumber(ARGV[4])
redis.call('HSET', ckey(id), 'state', 'claimed', 'assignee', actor, 'claim_expires_at', expires)
redis.call('ZADD', CLAIMS, expires, id)
give_to(id, actor)
redis.call('HINCRBY', ckey(id), 'messages', 1)
touch(id, c.inbox, now)
if c.state ~= 'claimed' or c.assignee ~= actor then event('case.claimed', id, c.inbox) end
event('message.created', id, c.inbox, 'message_id', ARGV[5], 'direction', 'outbound')
human_action(id, now)
audit(actor, 'case.reply', id, now, 'message_id', ARGV[5], 'channel', ARGV[6])
return {1, out_id}
)lua");

// ARGV: 1 case, 2 message id, 3 status, 4 attempts, 5 error, 6 updated_at (RFC 3339)
lua_script const delivery_script = script(R"lua(
local id, mid, status = ARGV[1], ARGV[2], ARGV[3]
local stored = redis.call('HGET', ckey(id, ':delivery'), mid)
if not stored then return {-1, ''} end
local d = cjson.decode(stored)
-- Forward only (read: a messenger's read receipt). A failure outranks delivered: a long SMS whose one part failed did not arrive whole.
local rank = {queued = 0, held = 0, sent = 1, delivered = 2, read = 3, failed = 4, expired = 4}
if rank[status] < rank[d.status] or (rank[status] == rank[d.status] and status ~= d.status and rank[status] == 4) then
  return {-7, d.status}
end
d.status, d.updated_at = status, ARGV[6]
if ARGV[4] ~= '-1' then d.attempts = tonumber(ARGV[4]) end
if ARGV[5] ~= '' then d.last_error = ARGV[5] else d.last_error = nil end
redis.call('HSET', ckey(id, ':delivery'), mid, cjson.encode(d))
local inbox = redis.call('HGET', ckey(id), 'inbox')
event('delivery.updated', id, inbox, 'message_id', mid, 'status', status)
return {1, ''}
)lua");

// An automatic mail (an acknowledgement), rate-limited per address so two
// auto-responders can never ping-pong: the counter and the queueing are one step.
// ARGV: 1 case, 2 message id, 3 channel, 4 message JSON, 5 delivery JSON, 6 rate key, 7 limit, 8 period (s)
lua_script const automatic_script = script(R"lua(
local id = ARGV[1]
local c = load_case(id)
if not c.state then return {-1, ''} end
local sent = redis.call('INCR', ARGV[6])
if sent == 1 then redis.call('EXPIRE', ARGV[6], ARGV[8]) end
if sent > tonumber(ARGV[7]) then return {-8, ''} end
redis.call('XADD', ckey(id, ':messages'), '*', 'msg', ARGV[4])
redis.call('HSET', ckey(id, ':delivery'), ARGV[2], ARGV[5])
local out = outkey(ARGV[3])
ensure_group(out, SENDERS)
-- Marked automatic: it leaves even while the channel is switched off (queue/outbox_worker.hpp).
local out_id = redis.call('XADD', out, '*', 'case_id', id, 'message_id', ARGV[2], 'msg', ARGV[4], 'automatic', '1')
track_entry(id, out, out_id)
redis.call('HINCRBY', ckey(id), 'messages', 1)
event('message.created', id, c.inbox, 'message_id', ARGV[2], 'direction', 'outbound')
return {1, out_id}
)lua");

action_status status_of(long long code) {
  switch (code) {
    case 1: return action_status::done;
    case -1: return action_status::not_found;
    case -2: return action_status::closed;
    case -3: return action_status::claimed_by_other;
    case -4: return action_status::not_claimed;
    case -5: return action_status::same_inbox;
    case -6: return action_status::not_closed;
    case -8: return action_status::limited;
    case -9: return action_status::moved;
    default: return action_status::stale;
  }
}

} // namespace

case_workflow::case_workflow(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void case_workflow::run(lua_script const& s, std::vector<std::string> args, handler done) {
  s.run(*redis_, {}, std::move(args), [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    if (ec) return done(ec, {});
    if (r.elements.size() != 2) return done(errc::unexpected_reply, {});
    done({}, action_result{status_of(r.elements[0].integer), r.elements[1].str});
  });
}

void case_workflow::claim(std::string const& case_id, staff_actor const& actor, long long now_ms, std::chrono::milliseconds ttl,
                          handler done) {
  run(claim_script, {case_id, actor.name, std::to_string(now_ms), std::to_string(ttl.count()), actor.checked_inbox}, std::move(done));
}

void case_workflow::release(std::string const& case_id, staff_actor const& actor, long long now_ms, handler done) {
  run(release_script, {case_id, actor.name, std::to_string(now_ms), actor.checked_inbox}, std::move(done));
}

void case_workflow::expire_claims(long long now_ms, std::size_t limit, handler done) {
  run(expire_script, {std::to_string(now_ms), std::to_string(limit)}, std::move(done));
}

void case_workflow::transfer(std::string const& case_id, staff_actor const& actor, std::string const& target, long long now_ms,
                             handler done) {
  run(transfer_script, {case_id, actor.name, target, std::to_string(now_ms), actor.checked_inbox}, std::move(done));
}

void case_workflow::close(std::string const& case_id, staff_actor const& actor, long long now_ms,
                          std::chrono::seconds keep_conversation, handler done, std::string const& retention_plan, bool hand_over) {
  run(close_script,
      {case_id, actor.name, std::to_string(now_ms), std::to_string(keep_conversation.count()), retention_plan,
       hand_over ? keys::outbound(keys::handover_channel) : std::string{}, actor.checked_inbox},
      std::move(done));
}

void case_workflow::reopen(std::string const& case_id, staff_actor const& actor, long long now_ms, handler done) {
  run(reopen_script, {case_id, actor.name, std::to_string(now_ms), actor.checked_inbox}, std::move(done));
}

void case_workflow::add_note(std::string const& case_id, staff_actor const& actor, std::string const& text, long long now_ms,
                             handler done) {
  run(note_script, {case_id, actor.name, std::to_string(now_ms), text, actor.checked_inbox}, std::move(done));
}

void case_workflow::reply(reply_request const& r, handler done) {
  run(reply_script,
      {r.case_id, r.actor, std::to_string(r.now_ms), std::to_string(r.claim_ttl.count()), r.message_id, r.channel, r.message_json,
       r.delivery_json, r.checked_inbox},
      std::move(done));
}

void case_workflow::queue_automatic(automatic_request const& r, handler done) {
  run(automatic_script,
      {r.case_id, r.message_id, r.channel, r.message_json, r.delivery_json, r.rate_key, std::to_string(r.limit),
       std::to_string(r.period.count())},
      std::move(done));
}

void case_workflow::report_delivery(delivery_update const& u, handler done) {
  run(delivery_script, {u.case_id, u.message_id, u.status, std::to_string(u.attempts), u.error, u.updated_at}, std::move(done));
}

} // namespace balie::queue
