#include "queue/staff_assignment.hpp"

#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"
#include "queue/lua_script.hpp"

#include <algorithm>

namespace balie::queue {
namespace {

// ARGV: 1 case, 2 inbox, 3 mode, 4 now, 5 the available-staff hash, 6.. the inbox's staff (sorted).
// Returns the name chosen, or ''.
lua_script const& propose_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + R"lua(
local id, inbox, mode, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local c = redis.call('HMGET', ckey(id), 'state', 'inbox', 'assignee', 'proposed_to')
if c[1] ~= 'open' or c[2] ~= inbox or c[3] or c[4] then return '' end
local available = {}
for i = 6, #ARGV do
  if redis.call('HEXISTS', ARGV[5], ARGV[i]) == 1 then available[#available + 1] = ARGV[i] end
end
if #available == 0 then return '' end
-- A person's open cases: claimed by them, or proposed to them and claimed by nobody.
local function open_cases(name)
  local n = 0
  for _, case_id in ipairs(redis.call('SMEMBERS', staffkey(name))) do
    local f = redis.call('HMGET', ckey(case_id), 'state', 'assignee', 'proposed_to')
    if f[1] and f[1] ~= 'closed' and (f[2] == name or (not f[2] and f[3] == name)) then n = n + 1
    else redis.call('SREM', staffkey(name), case_id) end
  end
  return n
end
local chosen
if mode == 'round_robin' then
  local turn = redis.call('INCR', ikey(inbox, ':turn'))
  chosen = available[((turn - 1) % #available) + 1]
else
  local fewest
  for _, name in ipairs(available) do
    local n = open_cases(name)
    if not fewest or n < fewest then chosen, fewest = name, n end
  end
end
redis.call('HSET', ckey(id), 'proposed_to', chosen, 'proposed_at', now)
give_to(id, chosen)
event('case.proposed', id, inbox, 'to', chosen)
audit('balied', 'case.propose', id, now, 'to', chosen, 'mode', mode)
return chosen
)lua");
  return s;
}

// ARGV: 1 name, 2 '1' available or '0' not, 3 now, 4 the available-staff hash. The mark and its audit line together.
lua_script const& availability_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + R"lua(
local name, now = ARGV[1], tonumber(ARGV[3])
if ARGV[2] == '1' then redis.call('HSET', ARGV[4], name, now) else redis.call('HDEL', ARGV[4], name) end
audit(name, ARGV[2] == '1' and 'staff.available' or 'staff.unavailable', '', now)
return 1
)lua");
  return s;
}

} // namespace

std::optional<assignment_mode> assignment_mode_from(std::string_view s) {
  if (s == "none") return assignment_mode::none;
  if (s == "round_robin") return assignment_mode::round_robin;
  if (s == "fewest_open") return assignment_mode::fewest_open;
  return std::nullopt;
}

staff_assignment::staff_assignment(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void staff_assignment::propose(std::string const& case_id, std::string const& inbox, assignment_mode mode, std::vector<std::string> staff,
                               long long now_ms, std::function<void(boost::system::error_code, std::string)> done) {
  if (mode == assignment_mode::none || staff.empty()) return done({}, "");
  std::vector<std::string> args{case_id, inbox, mode == assignment_mode::round_robin ? "round_robin" : "fewest_open", std::to_string(now_ms),
                                std::string(keys::staff_available)};
  std::sort(staff.begin(), staff.end());
  staff.erase(std::unique(staff.begin(), staff.end()), staff.end());
  args.insert(args.end(), staff.begin(), staff.end());
  propose_script().run(*redis_, {}, std::move(args), [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, ec ? "" : r.str); });
}

void staff_assignment::set_available(std::string const& name, bool available, long long now_ms, std::function<void(boost::system::error_code)> done) {
  availability_script().run(*redis_, {}, {name, available ? "1" : "0", std::to_string(now_ms), std::string(keys::staff_available)},
                            [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

void staff_assignment::is_available(std::string const& name, std::function<void(boost::system::error_code, bool)> done) {
  redis_->execute({"HEXISTS", std::string(keys::staff_available), name},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

} // namespace balie::queue
