#include "queue/channel_switches.hpp"

#include "queue/keys.hpp"
#include "queue/case_store.hpp"
#include "queue/lua_script.hpp"

#include <nlohmann/json.hpp>

namespace balie::queue {
namespace {

// KEYS: 1 balie:channels, 2 history, 3 events, 4 audit.
// ARGV: 1 channel, 2 the new switch (JSON), 3 "1"/"0" enabled, 4 by, 5 at, 6 reason,
//       7.. the channels that count for the last-channel guard.
// Returns 'changed', 'unchanged' or 'last-channel'.
lua_script const change_script(R"lua(#!lua
local current = redis.call('HGET', KEYS[1], ARGV[1])
local was_on = true
if current then
  local ok, old = pcall(cjson.decode, current)
  if ok and type(old) == 'table' and old.enabled == false then was_on = false end
end
local on = ARGV[3] == '1'
if on == was_on and current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])  -- a new reason or notice
  return 'unchanged'
end
-- A part of a channel (an SMS provider) comes without a list: the channel's own switch guards residents.
if not on and #ARGV >= 7 then
  local others_on = 0
  for i = 7, #ARGV do
    if ARGV[i] ~= ARGV[1] then
      local s = redis.call('HGET', KEYS[1], ARGV[i])
      local ok, v = pcall(cjson.decode, s or '{}')
      if not s or not ok or type(v) ~= 'table' or v.enabled ~= false then others_on = others_on + 1 end
    end
  end
  if others_on == 0 then return 'last-channel' end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local state = on and 'on' or 'off'
redis.call('XADD', KEYS[2], '*', 'channel', ARGV[1], 'enabled', state, 'reason', ARGV[6], 'by', ARGV[4], 'at', ARGV[5])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'type', 'channel.changed', 'channel', ARGV[1], 'enabled', state)
redis.call('XADD', KEYS[4], '*', 'actor', ARGV[4], 'action', 'channel.' .. state, 'channel', ARGV[1], 'at', ARGV[5], 'reason', ARGV[6])
return 'changed'
)lua");

} // namespace

std::string to_json(channel_switch const& s) {
  return nlohmann::json{{"enabled", s.enabled}, {"reason", s.reason}, {"notice_nl", s.notice_nl}, {"notice_en", s.notice_en},
                        {"by", s.by}, {"at", s.at}}
      .dump();
}

channel_switch channel_switch_from_json(std::string const& text) {
  auto const j = nlohmann::json::parse(text, nullptr, false);
  channel_switch s;
  if (!j.is_object()) return s;
  auto text_of = [&j](char const* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  if (auto it = j.find("enabled"); it != j.end() && it->is_boolean()) s.enabled = it->get<bool>();
  s.reason = text_of("reason");
  s.notice_nl = text_of("notice_nl");
  s.notice_en = text_of("notice_en");
  s.by = text_of("by");
  s.at = text_of("at");
  return s;
}

channel_switches::channel_switches(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void channel_switches::load(std::function<void(boost::system::error_code, std::map<std::string, channel_switch>)> done) {
  redis_->execute({"HGETALL", std::string(keys::channels)}, [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    std::map<std::string, channel_switch> out;
    if (ec) return done(ec, std::move(out));
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) out[r.elements[i].str] = channel_switch_from_json(r.elements[i + 1].str);
    done({}, std::move(out));
  });
}

void channel_switches::seed(std::map<std::string, channel_switch> const& initial, std::function<void(boost::system::error_code)> done) {
  std::vector<std::vector<std::string>> commands;
  for (auto const& [name, s] : initial) commands.push_back({"HSETNX", std::string(keys::channels), name, to_json(s)});
  if (commands.empty()) return done({});
  run_all(*redis_, std::move(commands), [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply>) { done(ec); });
}

void channel_switches::change(channel_change const& c, std::function<void(boost::system::error_code, change_result)> done) {
  std::vector<std::string> args = {c.channel, to_json(c.to), c.to.enabled ? "1" : "0", c.to.by, c.to.at, c.to.reason};
  args.insert(args.end(), c.resident_channels.begin(), c.resident_channels.end());
  change_script.run(*redis_,
                    {std::string(keys::channels), std::string(keys::channel_history), std::string(keys::events), std::string(keys::audit)},
                    std::move(args), [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                      if (ec) return done(ec, change_result::unchanged);
                      if (r.str == "last-channel") return done({}, change_result::last_channel);
                      done({}, r.str == "changed" ? change_result::changed : change_result::unchanged);
                    });
}

void channel_switches::history(std::function<void(boost::system::error_code, std::vector<std::map<std::string, std::string>>)> done) {
  redis_->execute({"XRANGE", std::string(keys::channel_history), "-", "+"}, [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    std::vector<std::map<std::string, std::string>> out;
    if (ec) return done(ec, std::move(out));
    for (auto const& e : r.elements) {
      if (e.elements.size() != 2) continue;
      std::map<std::string, std::string> fields;
      auto const& kv = e.elements[1].elements;
      for (std::size_t i = 0; i + 1 < kv.size(); i += 2) fields[kv[i].str] = kv[i + 1].str;
      out.push_back(std::move(fields));
    }
    done({}, std::move(out));
  });
}

} // namespace balie::queue
