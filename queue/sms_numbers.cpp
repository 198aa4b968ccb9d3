#include "queue/sms_numbers.hpp"

#include "queue/case_store.hpp"
#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"
#include "queue/lua_script.hpp"

namespace balie::queue {
namespace {

// The change and its audit line are one step. The audit names the number by
// its hash: enough to answer "when did this number opt out", no number in the stream.
// ARGV: 1 number, 2 '1' out / '0' in, 3 case id, 4 at, 5 number hash
lua_script const& change_script() {
  static lua_script const s(std::string("#!lua\n") + lua_prelude() + R"lua(
local changed
if ARGV[2] == '1' then changed = redis.call('SADD', SMS_OPT_OUT, ARGV[1])
else changed = redis.call('SREM', SMS_OPT_OUT, ARGV[1]) end
if changed == 1 then
  audit('resident', ARGV[2] == '1' and 'sms.opt_out' or 'sms.opt_in', ARGV[3], ARGV[4], 'number_sha256', ARGV[5])
end
return changed
)lua");
  return s;
}

} // namespace

void sms_numbers::opted_out(std::string const& number, std::function<void(boost::system::error_code, bool)> done) const {
  redis_->execute({"SISMEMBER", std::string(keys::sms_opt_out), number},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

void sms_numbers::change_opt_out(std::string const& number, bool out, std::string const& case_id, std::string const& at,
                                 std::function<void(boost::system::error_code, bool)> done) const {
  change_script().run(*redis_, {}, {number, out ? "1" : "0", case_id, at, sha256_hex(number)},
                      [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

void sms_numbers::record_sent(std::string const& case_id, std::string const& number, std::chrono::seconds window,
                              std::function<void(boost::system::error_code)> done) const {
  run_all(*redis_,
          {{"SADD", keys::case_participants(case_id), number},
           {"SADD", keys::case_threads(case_id), keys::sms_recent(number)},
           {"SET", keys::sms_recent(number), case_id, "EX", std::to_string(window.count())}},
          [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply>) { done(ec); });
}

void sms_numbers::first_use(std::string const& replay_key, std::chrono::seconds ttl,
                            std::function<void(boost::system::error_code, bool)> done) const {
  redis_->execute({"SET", keys::sms_replay(replay_key), "1", "NX", "EX", std::to_string(ttl.count())},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.str == "OK"); });
}

} // namespace balie::queue
