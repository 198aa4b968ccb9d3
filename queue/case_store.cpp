// The enqueue script does the only check that can fail on data (a reference
// collision, an unknown case) before its first write. The list script is
// read-only (`no-writes`): it walks an inbox index from the cursor, skips
// cases the filter rejects, and stops after a bounded scan, so a rare filter
// on a large inbox answers with fewer cases and a cursor instead of blocking
// Redis.
#include "queue/case_store.hpp"
#include "channels/subject.hpp"

#include "channels/time_format.hpp"
#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"

#include <sstream>

namespace balie::queue {
namespace {

lua_script const& enqueue_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + R"lua(
-- ARGV: 1 dedup key, 2 dedup ttl (s), 3 message JSON, 4 message id, 5 case id, 6 reference,
--       7 inbox of a new case, 8 channel, 9 received (ms), 10 subject, 11 may create (1/0),
--       12 priority, 13 resident name, 14 chat conversation ('' = none), 15 chat text, 16 chat time,
--       17 thread lookup keys (JSON list, '' = none), 18 participant ('' = none),
--       19 index keys (JSON list), 20 index ttl (s),
--       21 answer-by (ms, '' = no promise), 22 report at (ms), 23 automatic (1/0), 24 needs (JSON list, '' = none),
--       25 search tokens (JSON list, '' = none), 26 preview (the message's first line),
--       27 confidential (1/0: a possible BSN or marked confidential; once set, the case stays confidential),
--       28 topic ('' = none; the first topic given stays), 29 the stored files it refers to (JSON list of sha256, '' = none)
local prior = redis.call('GET', ARGV[1])
if prior then return {0, prior} end
local case_id, linked = ARGV[5], ''
-- Threading: join the first looked-up case the sender takes part in; never anyone else's.
if ARGV[17] ~= '' then
  for _, k in ipairs(cjson.decode(ARGV[17])) do
    local found = redis.call('GET', k)
    if found and redis.call('EXISTS', ckey(found)) == 1 then
      if ARGV[18] ~= '' and redis.call('SISMEMBER', ckey(found, ':participants'), ARGV[18]) == 1 then
        case_id, linked = found, ''
        break
      end
      if linked == '' then linked = found end
    end
  end
end
local case = ckey(case_id)
local new = redis.call('EXISTS', case) == 0
local inbox, reference = ARGV[7], ARGV[6]
if new then
  if ARGV[11] ~= '1' then return {-2, 'no such case'} end
  if redis.call('EXISTS', refkey(reference)) == 1 then return {-1, 'reference taken'} end
else
  inbox, reference = redis.call('HGET', case, 'inbox'), redis.call('HGET', case, 'reference')
end
local msg = ARGV[3]
if case_id ~= ARGV[5] then
  -- The JSON was written for a new case; the ids are fresh ULIDs, so each occurs once.
  local function replace(s, from, to)
    local i, j = string.find(s, from, 1, true)
    if not i then return s end
    return string.sub(s, 1, i - 1) .. to .. string.sub(s, j + 1)
  end
  msg = replace(msg, '"case_id":"' .. ARGV[5] .. '"', '"case_id":"' .. case_id .. '"')
  msg = replace(msg, '"reference":"' .. ARGV[6] .. '"', '"reference":"' .. reference .. '"')
end
-- A web-chat message also goes into its conversation, numbered.
local seq = 0
if ARGV[14] ~= '' then
  seq = redis.call('HINCRBY', chatkey(ARGV[14]), 'last_seq', 1)
  redis.call('XADD', chatkey(ARGV[14], ':log'), '0-' .. seq, 'id', ARGV[4], 'from', 'resident',
             'text', ARGV[15], 'at', ARGV[16])
  redis.call('HSET', case, 'conversation_id', ARGV[14])
end
redis.call('SET', ARGV[1], ARGV[4] .. ' ' .. case_id .. ' ' .. reference .. ' ' .. inbox .. ' ' .. seq, 'EX', ARGV[2])
if new then
  redis.call('SET', refkey(reference), case_id)
  redis.call('HSET', case, 'state', 'open', 'inbox', inbox, 'reference', reference, 'channel', ARGV[8],
             'created_at', ARGV[9], 'subject', ARGV[10], 'priority', ARGV[12], 'resident_name', ARGV[13])
  if linked ~= '' then redis.call('HSET', case, 'linked_case', linked) end
  event('case.created', case_id, inbox)
elseif redis.call('HGET', case, 'state') == 'closed' then
  redis.call('HSET', case, 'state', 'open')
  redis.call('HDEL', case, 'closed_at')
  retention_ends(case_id)
  expire_conversation(case_id, nil)
  event('case.reopened', case_id, inbox)
end
redis.call('HINCRBY', case, 'messages', 1)
local message_entry = redis.call('XADD', ckey(case_id, ':messages'), '*', 'msg', msg)
if ARGV[18] ~= '' then redis.call('SADD', ckey(case_id, ':participants'), ARGV[18]) end
if ARGV[19] ~= '' then
  for _, k in ipairs(cjson.decode(ARGV[19])) do
    redis.call('SET', k, case_id, 'EX', ARGV[20])
    redis.call('SADD', ckey(case_id, ':threads'), k)
  end
end
local stream = ikey(inbox)
ensure_group(stream, GROUP)
local id = redis.call('XADD', stream, '*', 'case_id', case_id, 'msg', msg)
track_entry(case_id, stream, id)
-- Files are counted from the case's first message stored here; older ones by the one-time pass (queue/case_retention.hpp).
redis.call('HSETNX', case, 'files_from', message_entry)
if ARGV[29] ~= '' then
  for _, sha in ipairs(cjson.decode(ARGV[29])) do
    redis.call('HINCRBY', FILES, sha, 1)
    redis.call('ZREM', ORPHANED, sha)
    redis.call('RPUSH', ckey(case_id, ':files'), sha)  -- what its destruction counts down, without reading a message
  end
end
if ARGV[28] ~= '' then redis.call('HSETNX', case, 'topic', ARGV[28]) end
local consumer = consumer_of(redis.call('HGET', case, 'assignee') or nil)
redis.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', '100', 'STREAMS', stream, '>')
redis.call('ZADD', ikey(inbox, ':open'), ARGV[9], case_id)
touch(case_id, inbox, ARGV[9])
if ARGV[25] ~= '' then index_case(case_id, inbox, cjson.decode(ARGV[25]), ARGV[9]) end
if ARGV[26] ~= '' then redis.call('HSET', case, 'preview', ARGV[26]) end
if ARGV[27] == '1' then redis.call('HSET', case, 'confidential', '1') end
if ARGV[24] ~= '' then
  -- The needs a resident gave on any message of the case, in the order first given.
  local have = cjson.decode(redis.call('HGET', case, 'needs') or '[]')
  local seen = {}
  for _, n in ipairs(have) do seen[n] = true end
  for _, n in ipairs(cjson.decode(ARGV[24])) do
    if not seen[n] then have[#have + 1] = n; seen[n] = true end
  end
  redis.call('HSET', case, 'needs', cjson.encode(have))
end
if ARGV[23] == '1' then
  -- An auto-reply, a bounce, list mail: on the case for staff to see, but nobody waits for an answer.
  redis.call('XACK', stream, GROUP, id)
else
  redis.call('SADD', ckey(case_id, ':pending'), id)
  redis.call('HSET', case, 'waiting', redis.call('SCARD', ckey(case_id, ':pending')))
  local was_unanswered = redis.call('ZADD', ikey(inbox, ':unanswered'), 'NX', ARGV[9], case_id) == 0
  if ARGV[21] ~= '' then
    if redis.call('ZSCORE', WATCH, case_id) then
      -- Written again while still waiting for a person: the case moves up.
      if not new and was_unanswered then
        local p = raised(redis.call('HGET', case, 'priority') or 'normal', 'high')
        redis.call('HSET', case, 'priority', p)
        event('case.raised', case_id, inbox, 'priority', p)
      end
    else
      redis.call('HSET', case, 'answer_by', ARGV[21], 'report_at', ARGV[22], 'promised_at', ARGV[9])
      redis.call('HDEL', case, 'human_at', 'reported_at')
      redis.call('ZADD', WATCH, ARGV[21], case_id)
    end
  end
end
redis.call('SADD', INBOXES, inbox)
event('message.created', case_id, inbox, 'message_id', ARGV[4])
if seq > 0 then event('chat.message', case_id, inbox, 'conversation_id', ARGV[14], 'seq', seq) end
return {1, id, inbox, reference, seq, case_id, linked, redis.call('HGET', case, 'answer_by') or '', new and 1 or 0}
)lua");
  return s;
}

lua_script const& list_script() {
  static lua_script const s(std::string("#!lua flags=no-writes\n") + lua_prelude() + R"lua(
-- ARGV: 1 inbox, 2 index (open|cases), 3 cursor score (or +inf), 4 cursor case id (or ''),
--       5 limit, 6 state, 7 channel, 8 priority ('' = any), 9 scan bound
local index = ikey(ARGV[1], ':' .. ARGV[2])
local limit, bound = tonumber(ARGV[5]), tonumber(ARGV[9])
local max, after = ARGV[3], ARGV[4]
local found, scanned, offset = {}, 0, 0
local last_score, last_id = nil, nil
while #found < limit and scanned < bound do
  local page = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', offset, 50)
  if #page == 0 then return {found, ''} end
  offset = offset + #page / 2
  for i = 1, #page, 2 do
    local id, score = page[i], page[i + 1]
    -- Equal scores come in reverse id order: skip up to and including the cursor's case.
    if not (after ~= '' and score == max and id >= after) then
      scanned = scanned + 1
      last_score, last_id = score, id
      local h = redis.call('HGETALL', ckey(id))
      local f = {}
      for j = 1, #h, 2 do f[h[j]] = h[j + 1] end
      if (ARGV[6] == '' or f.state == ARGV[6]) and (ARGV[7] == '' or f.channel == ARGV[7]) and
         (ARGV[8] == '' or f.priority == ARGV[8]) then
        found[#found + 1] = {id, h}
      end
      if #found >= limit or scanned >= bound then break end
    end
  end
end
return {found, last_score .. '-' .. last_id}
)lua");
  return s;
}

/// At most this many cases are looked at per page of a filtered list.
constexpr std::size_t list_scan_bound = 1000;

} // namespace

void run_all(redis_connection& redis, std::vector<std::vector<std::string>> commands,
             std::function<void(boost::system::error_code, std::vector<redis_reply>)> done) {
  struct gather {
    std::vector<redis_reply> replies;
    std::size_t left;
    boost::system::error_code ec;
    std::function<void(boost::system::error_code, std::vector<redis_reply>)> done;
  };
  if (commands.empty()) return done({}, {});
  auto g = std::make_shared<gather>(gather{std::vector<redis_reply>(commands.size()), commands.size(), {}, std::move(done)});
  for (std::size_t i = 0; i < commands.size(); ++i)
    redis.execute(std::move(commands[i]), [g, i](boost::system::error_code ec, redis_reply r) {
      if (ec && !g->ec) g->ec = ec;
      g->replies[i] = std::move(r);
      if (--g->left == 0) g->done(g->ec, std::move(g->replies));
    });
}

std::map<std::string, std::string> pairs(redis_reply const& r) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) out[r.elements[i].str] = r.elements[i + 1].str;
  return out;
}

case_store::case_store(std::shared_ptr<redis_connection> redis, std::chrono::seconds dedup_ttl)
    : redis_(std::move(redis)), dedup_ttl_(dedup_ttl) {}

void case_store::enqueue(case_message const& m, std::string const& dedup_key, bool may_create,
                         std::function<void(boost::system::error_code, enqueue_result)> done, std::string const& conversation,
                         thread_lookup const& thread, std::optional<case_promise> const& promise, case_index const& index) {
  nlohmann::json needs = nlohmann::json::array();
  for (auto n : m.resident.needs) needs.push_back(to_string(n));
  nlohmann::json files = nlohmann::json::array();
  if (m.direction == direction::inbound)
    for (auto const& a : m.attachments)
      if (!a.sha256.empty()) files.push_back(a.sha256);
  auto const& r = m.routing ? *m.routing : routing_info{};
  std::vector<std::string> args = {keys::dedup(dedup_key),
                                   std::to_string(dedup_ttl_.count()),
                                   to_json(m).dump(),
                                   m.id,
                                   m.case_id,
                                   m.reference,
                                   r.inbox,
                                   std::string(to_string(m.channel)),
                                   std::to_string(m.received_at.time_since_epoch().count()),
                                   plain_subject(m.subject.value_or("")),
                                   may_create ? "1" : "0",
                                   std::string(to_string(r.priority)),
                                   m.resident.name.value_or(""),
                                   conversation,
                                   conversation.empty() ? std::string{} : m.text,
                                   conversation.empty() ? std::string{} : format_rfc3339(m.received_at),
                                   thread.keys.empty() ? std::string{} : nlohmann::json(thread.keys).dump(),
                                   thread.participant,
                                   thread.index_keys.empty() ? std::string{} : nlohmann::json(thread.index_keys).dump(),
                                   std::to_string(thread.index_ttl.count()),
                                   promise ? std::to_string(promise->answer_by.time_since_epoch().count()) : std::string{},
                                   promise ? std::to_string(promise->report_at.time_since_epoch().count()) : std::string{},
                                   m.auto_generated ? "1" : "0",
                                   needs.empty() ? std::string{} : needs.dump(),
                                   index.tokens.empty() ? std::string{} : nlohmann::json(index.tokens).dump(),
                                   index.preview,
                                   m.classification.confidential || m.classification.possible_bsn ? "1" : "0",
                                   r.topic.value_or(""),
                                   files.empty() ? std::string{} : files.dump()};
  enqueue_script().run(*redis_, {}, std::move(args),
                       [m_id = m.id, case_id = m.case_id, ref = m.reference,
                        done = std::move(done)](boost::system::error_code ec, redis_reply reply) {
                         if (ec) return done(ec, {});
                         if (reply.type != redis_reply::kind::array || reply.elements.size() < 2)
                           return done(errc::unexpected_reply, {});
                         auto const status = reply.elements[0].integer;
                         if (status == -1) return done(errc::reference_taken, {});
                         if (status == -2) return done(errc::no_such_case, {});
                         if (status == 1 && reply.elements.size() == 9) {
                           auto const& stored_in = reply.elements[5].str;
                           enqueue_result r{false, m_id, stored_in, reply.elements[3].str, reply.elements[2].str,
                                            reply.elements[4].integer, stored_in != case_id, reply.elements[6].str, std::nullopt,
                                            reply.elements[8].integer == 1};
                           if (auto const& by = reply.elements[7].str; !by.empty())
                             r.answer_by = timestamp{std::chrono::milliseconds{std::strtoll(by.c_str(), nullptr, 10)}};
                           return done({}, r);
                         }
                         // Duplicate: the mark holds "message case reference inbox seq" of the first delivery.
                         std::istringstream prior(reply.elements[1].str);
                         enqueue_result r;
                         r.duplicate = true;
                         prior >> r.message_id >> r.case_id >> r.reference >> r.inbox >> r.seq;
                         done({}, r);
                       });
}

void case_store::stats(std::vector<std::string> inboxes, std::function<void(boost::system::error_code, std::vector<inbox_stats>)> done) {
  std::vector<std::vector<std::string>> commands;
  for (auto const& inbox : inboxes) {
    commands.push_back({"ZCARD", keys::inbox_open(inbox)});
    commands.push_back({"ZCARD", keys::inbox_unanswered(inbox)});
    commands.push_back({"ZRANGE", keys::inbox_unanswered(inbox), "0", "0", "WITHSCORES"});
  }
  run_all(*redis_, std::move(commands), [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
    std::vector<inbox_stats> out;
    for (std::size_t i = 0; !ec && i + 2 < r.size(); i += 3) {
      inbox_stats s{r[i].integer, r[i + 1].integer, std::nullopt};
      if (r[i + 2].elements.size() == 2) s.oldest_unanswered_ms = std::strtoll(r[i + 2].elements[1].str.c_str(), nullptr, 10);
      out.push_back(s);
    }
    done(ec, std::move(out));
  });
}

void case_store::list_cases(std::string const& inbox, case_filter const& filter, std::size_t limit, std::string const& cursor,
                            std::function<void(boost::system::error_code, std::vector<case_summary>, std::string)> done) {
  std::string score = "+inf", after;
  if (auto const sep = cursor.find('-'); sep != std::string::npos) score = cursor.substr(0, sep), after = cursor.substr(sep + 1);
  bool const closed = filter.state == "closed";
  list_script().run(*redis_, {},
                    {inbox, closed ? "cases" : "open", score, after, std::to_string(limit), filter.state.value_or(""),
                     filter.channel.value_or(""), filter.priority.value_or(""), std::to_string(list_scan_bound)},
                    [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                      if (ec) return done(ec, {}, {});
                      if (r.elements.size() != 2) return done(errc::unexpected_reply, {}, {});
                      std::vector<case_summary> cases;
                      for (auto const& c : r.elements[0].elements)
                        if (c.elements.size() == 2) cases.push_back({c.elements[0].str, pairs(c.elements[1])});
                      done({}, std::move(cases), r.elements[1].str);
                    });
}

bool case_store::ready() const { return redis_->ready(); }

void case_store::read_summary(std::string const& case_id, std::function<void(boost::system::error_code, case_summary)> done) {
  redis_->execute({"HGETALL", keys::case_hash(case_id)}, [case_id, done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    if (ec) return done(ec, {});
    done({}, case_summary{case_id, pairs(r)});
  });
}

void case_store::read_case(std::string const& case_id, std::size_t max_messages,
                           std::function<void(boost::system::error_code, case_record)> done) {
  auto const count = std::to_string(max_messages);
  run_all(*redis_,
          {{"HGETALL", keys::case_hash(case_id)},
           {"XRANGE", keys::case_messages(case_id), "-", "+", "COUNT", count},
           {"XRANGE", keys::case_notes(case_id), "-", "+", "COUNT", count},
           {"HGETALL", keys::case_delivery(case_id)}},
          [case_id, done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
            if (ec) return done(ec, {});
            case_record c;
            c.summary = {case_id, pairs(r[0])};
            for (auto const& entry : r[1].elements)
              if (entry.elements.size() == 2) c.messages.push_back({entry.elements[0].str, pairs(entry.elements[1])["msg"]});
            for (auto const& entry : r[2].elements) {
              if (entry.elements.size() != 2) continue;
              auto f = pairs(entry.elements[1]);
              c.notes.push_back({entry.elements[0].str, f["author"], f["text"], std::strtoll(f["created_at"].c_str(), nullptr, 10)});
            }
            c.delivery = pairs(r[3]);
            done({}, std::move(c));
          });
}

void case_store::audit(std::vector<std::pair<std::string, std::string>> fields, std::function<void(boost::system::error_code)> done) {
  std::vector<std::string> cmd = {"XADD", std::string(keys::audit), "*"};
  for (auto& [k, v] : fields) {
    cmd.push_back(std::move(k));
    cmd.push_back(std::move(v));
  }
  redis_->execute(std::move(cmd), [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

} // namespace balie::queue
