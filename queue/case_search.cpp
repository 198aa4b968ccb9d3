#include "queue/case_search.hpp"

#include "queue/errc.hpp"
#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"

#include <nlohmann/json.hpp>

namespace balie::queue {
namespace {

lua_script const& find_script() {
  static lua_script const s(std::string("#!lua flags=no-writes\n") + lua_prelude() + R"lua(
-- ARGV: 1 inboxes (JSON list), 2 tokens (JSON list), 3 how far the rarest token's cases are walked,
--       4 the newest cases of each other token looked at, 5 want
local inboxes, tokens = cjson.decode(ARGV[1]), cjson.decode(ARGV[2])
local rare_window, window, want = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local buckets = {}  -- tokens matched -> {{id, at}, ...}
local function found(id, m, at)
  buckets[m] = buckets[m] or {}
  table.insert(buckets[m], {id, at})
end
-- How many of `keys` each of `ids` is in, and its newest score among them.
local function count(keys, ids, matched, at)
  for _, k in ipairs(keys) do
    for c = 1, #ids, 500 do
      local chunk = {unpack(ids, c, math.min(c + 499, #ids))}
      for j, s in ipairs(redis.call('ZMSCORE', k.key, unpack(chunk))) do
        if s then
          local id, v = chunk[j], tonumber(s)
          matched[id] = (matched[id] or 0) + 1
          if not at[id] or v > at[id] then at[id] = v end
        end
      end
    end
  end
end
for _, inbox in ipairs(inboxes) do
  local keys = {}
  for _, t in ipairs(tokens) do
    local k = ikey(inbox, ':search:' .. t)
    local n = redis.call('ZCARD', k)
    if n > 0 then keys[#keys + 1] = {key = k, size = n} end
  end
  table.sort(keys, function(a, b) return a.size < b.size end)
  if #keys == 1 then
    -- One token: its index is already in order.
    local page = redis.call('ZREVRANGE', keys[1].key, 0, want - 1, 'WITHSCORES')
    for i = 1, #page, 2 do found(page[i], 1, tonumber(page[i + 1])) end
  elseif #keys > 1 then
    -- Cases with every token: the rarest token's cases, newest first, checked against the others,
    -- until enough are found or the walk's bound is reached.
    local seen, matched, at, full, walked = {}, {}, {}, 0, 0
    while full < want and walked < rare_window do
      local page = redis.call('ZREVRANGE', keys[1].key, walked, math.min(walked + 499, rare_window - 1))
      if #page == 0 then break end
      walked = walked + #page
      for _, id in ipairs(page) do seen[id] = true end
      count(keys, page, matched, at)
      for _, id in ipairs(page) do
        if matched[id] == #keys then full = full + 1 end
      end
    end
    if full < want then
      -- Too few: the newest cases of each other token make up the rest.
      local more = {}
      for i = 2, #keys do
        for _, id in ipairs(redis.call('ZREVRANGE', keys[i].key, 0, window - 1)) do
          if not seen[id] then seen[id] = true; more[#more + 1] = id end
        end
      end
      count(keys, more, matched, at)
    end
    for id in pairs(seen) do found(id, matched[id], at[id]) end
  end
end
-- The newest `k` of a bucket, kept in order as they come: a few comparisons per case, not a sort of all.
local function newer(x, y) return x[2] > y[2] or (x[2] == y[2] and x[1] > y[1]) end
local function best(b, k)
  local top = {}
  for _, h in ipairs(b) do
    if #top < k or newer(h, top[#top]) then
      local i = #top + 1
      top[i] = h
      while i > 1 and newer(top[i], top[i - 1]) do top[i], top[i - 1] = top[i - 1], top[i]; i = i - 1 end
      if #top > k then top[#top] = nil end
    end
  end
  return top
end
local out = {}
for m = #tokens, 1, -1 do
  local b = buckets[m]
  if b and #out < want * 3 then
    for _, h in ipairs(best(b, want - #out / 3)) do
      out[#out + 1] = h[1]; out[#out + 1] = m; out[#out + 1] = h[2]
    end
  end
end
return out
)lua");
  return s;
}

lua_script const& add_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + R"lua(
-- ARGV: 1 case id, 2 JSON [[received ms, [tokens]], ...], 3 preview
local inbox = redis.call('HGET', ckey(ARGV[1]), 'inbox')
if not inbox then return 0 end
for _, m in ipairs(cjson.decode(ARGV[2])) do
  if #m[2] > 0 then index_case(ARGV[1], inbox, m[2], m[1]) end
end
if ARGV[3] ~= '' then redis.call('HSETNX', ckey(ARGV[1]), 'preview', ARGV[3]) end
return 1
)lua");
  return s;
}

lua_script const& claim_script() {
  static lua_script const s(std::string("#!lua\n") + R"lua(
-- KEYS: none. ARGV: 1 lock key, 2 done key, 3 ttl (s)
if redis.call('EXISTS', ARGV[2]) == 1 then return 0 end
if redis.call('SET', ARGV[1], '1', 'NX', 'EX', ARGV[3]) then return 1 end
return 2
)lua");
  return s;
}

} // namespace

case_search::case_search(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void case_search::find(std::vector<std::string> const& inboxes, std::vector<std::string> const& tokens, std::size_t want,
                       std::function<void(boost::system::error_code, std::vector<search_hit>)> done) {
  if (inboxes.empty() || tokens.empty() || want == 0) return done({}, {});
  find_script().run(*redis_, {},
                    {nlohmann::json(inboxes).dump(), nlohmann::json(tokens).dump(), std::to_string(search_rare_window),
                     std::to_string(search_window), std::to_string(want)},
                    [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                      if (ec) return done(ec, {});
                      if (r.type != redis_reply::kind::array || r.elements.size() % 3 != 0) return done(errc::unexpected_reply, {});
                      std::vector<search_hit> hits;
                      for (std::size_t i = 0; i < r.elements.size(); i += 3)
                        hits.push_back({r.elements[i].str, static_cast<int>(r.elements[i + 1].integer), r.elements[i + 2].integer});
                      done({}, std::move(hits));
                    });
}

void case_search::claim_backfill(std::chrono::seconds ttl, std::function<void(boost::system::error_code, backfill_claim)> done) {
  claim_script().run(*redis_, {}, {std::string(keys::search_backfill_lock), std::string(keys::search_backfilled), std::to_string(ttl.count())},
                     [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                       done(ec, r.integer == 0 ? backfill_claim::done : r.integer == 1 ? backfill_claim::mine : backfill_claim::busy);
                     });
}

void case_search::finish_backfill(std::function<void(boost::system::error_code)> done) {
  run_all(*redis_, {{"SET", std::string(keys::search_backfilled), "1"}, {"DEL", std::string(keys::search_backfill_lock)}},
          [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply>) { done(ec); });
}

void case_search::cases_page(std::string const& inbox, std::size_t offset, std::size_t count,
                             std::function<void(boost::system::error_code, std::vector<std::string>, bool)> done) {
  redis_->execute({"ZRANGE", keys::inbox_cases(inbox), std::to_string(offset), std::to_string(offset + count - 1)},
                  [count, done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                    std::vector<std::string> ids;
                    for (auto const& e : r.elements) ids.push_back(e.str);
                    bool const more = ids.size() == count;
                    done(ec, std::move(ids), more);
                  });
}

void case_search::add_to_index(std::string const& case_id, std::vector<std::pair<long long, std::vector<std::string>>> const& messages,
                               std::string const& preview, std::function<void(boost::system::error_code)> done) {
  add_script().run(*redis_, {}, {case_id, nlohmann::json(messages).dump(), preview},
                   [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

void case_search::by_reference(std::string const& reference, std::function<void(boost::system::error_code, std::string)> done) {
  redis_->execute({"GET", keys::reference(reference)}, [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    done(ec, !ec && r.type == redis_reply::kind::string ? r.str : std::string{});
  });
}

void case_search::read(std::vector<std::string> const& case_ids, std::size_t messages,
                       std::function<void(boost::system::error_code, std::vector<found_case>)> done) {
  std::vector<std::vector<std::string>> commands;
  for (auto const& id : case_ids) {
    commands.push_back({"HGETALL", keys::case_hash(id)});
    commands.push_back({"XREVRANGE", keys::case_messages(id), "+", "-", "COUNT", std::to_string(messages)});
  }
  run_all(*redis_, std::move(commands), [case_ids, done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
    if (ec) return done(ec, {});
    std::vector<found_case> out;
    for (std::size_t i = 0; i < case_ids.size(); ++i) {
      found_case f{{case_ids[i], pairs(r[2 * i])}, {}};
      for (auto const& entry : r[2 * i + 1].elements)
        if (entry.elements.size() == 2) f.newest.push_back({entry.elements[0].str, pairs(entry.elements[1])["msg"]});
      out.push_back(std::move(f));
    }
    done({}, std::move(out));
  });
}

} // namespace balie::queue
