// The enqueue script declares every key it touches and carries the `#!lua`
// shebang, so Redis refuses it up front when out of memory instead of failing
// halfway. The only check that can fail on data (a reference collision) runs
// before the first write. EVALSHA is tried first; on NOSCRIPT (a restarted or
// flushed Redis) the script is sent in full once.
#include "queue/case_store.hpp"

#include "channels/text.hpp"
#include "channels/time_format.hpp"
#include "queue/keys.hpp"

#include <openssl/sha.h>

#include <sstream>

namespace balie::queue {
namespace {

constexpr std::string_view enqueue_script = R"lua(#!lua
-- KEYS: 1 dedup mark, 2 case hash, 3 case messages, 4 inbox stream, 5 inbox case index, 6 reference, 7 inbox set
-- ARGV: 1 dedup ttl (s), 2 message JSON, 3 message id, 4 case id, 5 reference, 6 inbox,
--       7 channel, 8 received (ms), 9 subject, 10 new case (1/0)
local prior = redis.call('GET', KEYS[1])
if prior then return {0, prior} end
if ARGV[10] == '1' and redis.call('EXISTS', KEYS[6]) == 1 then return {-1, 'reference taken'} end
redis.call('SET', KEYS[1], ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6], 'EX', ARGV[1])
if ARGV[10] == '1' then
  redis.call('SET', KEYS[6], ARGV[4])
  redis.call('HSET', KEYS[2], 'state', 'open', 'inbox', ARGV[6], 'reference', ARGV[5],
             'channel', ARGV[7], 'created_at', ARGV[8], 'subject', ARGV[9])
end
redis.call('HSET', KEYS[2], 'updated_at', ARGV[8])
redis.call('HINCRBY', KEYS[2], 'messages', 1)
redis.call('XADD', KEYS[3], '*', 'msg', ARGV[2])
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[4], 'staff', '0', 'MKSTREAM')
end
local id = redis.call('XADD', KEYS[4], '*', 'case_id', ARGV[4], 'msg', ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[8], ARGV[4])
redis.call('SADD', KEYS[7], ARGV[6])
return {1, id}
)lua";

std::string sha1_hex(std::string_view s) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<unsigned char const*>(s.data()), s.size(), digest);
  return to_hex(digest, sizeof digest);
}

/// Runs commands back to back on one connection (hiredis pipelines them) and
/// collects the replies in order; the first error wins.
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

} // namespace

case_store::case_store(std::shared_ptr<redis_connection> redis, std::chrono::seconds dedup_ttl)
    : redis_(std::move(redis)), dedup_ttl_(dedup_ttl), script_sha_(sha1_hex(enqueue_script)) {}

void case_store::run_enqueue(std::vector<std::string> args, std::function<void(boost::system::error_code, redis_reply)> done) {
  auto call = args;
  call.insert(call.begin(), {"EVALSHA", script_sha_});
  redis_->execute(std::move(call), [this, args = std::move(args), done = std::move(done)](boost::system::error_code ec,
                                                                                          redis_reply reply) mutable {
    if (ec == errc::error_reply && reply.str.rfind("NOSCRIPT", 0) == 0) {
      args.insert(args.begin(), {"EVAL", std::string(enqueue_script)});
      return redis_->execute(std::move(args), std::move(done));
    }
    done(ec, std::move(reply));
  });
}

void case_store::enqueue(case_message const& m, std::string const& dedup_key,
                         std::function<void(boost::system::error_code, enqueue_result)> done) {
  auto const inbox = m.routing ? m.routing->inbox : std::string{};
  std::vector<std::string> args = {"7",
                                   keys::dedup(dedup_key),
                                   keys::case_hash(m.case_id),
                                   keys::case_messages(m.case_id),
                                   keys::inbox_stream(inbox),
                                   keys::inbox_cases(inbox),
                                   keys::reference(m.reference),
                                   std::string(keys::inboxes),
                                   std::to_string(dedup_ttl_.count()),
                                   to_json(m).dump(),
                                   m.id,
                                   m.case_id,
                                   m.reference,
                                   inbox,
                                   std::string(to_string(m.channel)),
                                   std::to_string(m.received_at.time_since_epoch().count()),
                                   m.subject.value_or(""),
                                   "1"};
  run_enqueue(std::move(args), [m_id = m.id, case_id = m.case_id, ref = m.reference, inbox,
                                done = std::move(done)](boost::system::error_code ec, redis_reply reply) {
    if (ec) return done(ec, {});
    if (reply.type != redis_reply::kind::array || reply.elements.size() != 2)
      return done(errc::unexpected_reply, {});
    auto const status = reply.elements[0].integer;
    if (status == -1) return done(errc::reference_taken, {});
    if (status == 1) return done({}, enqueue_result{false, m_id, case_id, ref, inbox});
    // Duplicate: the mark holds "message case reference inbox" of the first delivery.
    std::istringstream prior(reply.elements[1].str);
    enqueue_result r;
    r.duplicate = true;
    prior >> r.message_id >> r.case_id >> r.reference >> r.inbox;
    done({}, r);
  });
}

void case_store::count_cases(std::vector<std::string> inboxes,
                             std::function<void(boost::system::error_code, std::vector<long long>)> done) {
  std::vector<std::vector<std::string>> commands;
  for (auto const& inbox : inboxes) commands.push_back({"ZCARD", keys::inbox_cases(inbox)});
  run_all(*redis_, std::move(commands), [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
    std::vector<long long> counts;
    for (auto const& x : r) counts.push_back(x.integer);
    done(ec, std::move(counts));
  });
}

void case_store::list_cases(std::string const& inbox, std::size_t limit, long long before_ms,
                            std::function<void(boost::system::error_code, std::vector<case_summary>, long long)> done) {
  std::string const max = before_ms > 0 ? "(" + std::to_string(before_ms) : "+inf";
  redis_->execute({"ZREVRANGEBYSCORE", keys::inbox_cases(inbox), max, "-inf", "WITHSCORES", "LIMIT", "0", std::to_string(limit)},
                  [this, limit, done = std::move(done)](boost::system::error_code ec, redis_reply r) mutable {
                    if (ec) return done(ec, {}, 0);
                    std::vector<case_summary> cases;
                    std::vector<std::vector<std::string>> commands;
                    long long last_score = 0;
                    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
                      cases.push_back({r.elements[i].str, {}});
                      last_score = std::strtoll(r.elements[i + 1].str.c_str(), nullptr, 10);
                      commands.push_back({"HGETALL", keys::case_hash(r.elements[i].str)});
                    }
                    long long const next = cases.size() == limit ? last_score : 0;
                    run_all(*redis_, std::move(commands),
                            [cases = std::move(cases), next, done = std::move(done)](boost::system::error_code ec,
                                                                                    std::vector<redis_reply> hashes) mutable {
                              for (std::size_t i = 0; i < hashes.size(); ++i) cases[i].fields = pairs(hashes[i]);
                              done(ec, std::move(cases), next);
                            });
                  });
}

void case_store::read_case(std::string const& case_id, std::size_t max_messages,
                           std::function<void(boost::system::error_code, case_summary, std::vector<stored_message>)> done) {
  run_all(*redis_,
          {{"HGETALL", keys::case_hash(case_id)},
           {"XRANGE", keys::case_messages(case_id), "-", "+", "COUNT", std::to_string(max_messages)}},
          [case_id, done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
            if (ec) return done(ec, {}, {});
            case_summary summary{case_id, pairs(r[0])};
            std::vector<stored_message> messages;
            for (auto const& entry : r[1].elements) {
              if (entry.elements.size() != 2) continue;
              auto fields = pairs(entry.elements[1]);
              messages.push_back({entry.elements[0].str, fields["msg"]});
            }
            done({}, std::move(summary), std::move(messages));
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
