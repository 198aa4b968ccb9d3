#include "queue/chat_store.hpp"

#include "queue/case_store.hpp"
#include "queue/keys.hpp"
#include "queue/lua_prelude.hpp"

namespace balie::queue {
namespace {

std::string session_key(std::string const& token_hash) { return keys::chat_session(token_hash); }
std::string conversation_key(std::string const& id) { return keys::chat_conversation(id); }
std::string log_key(std::string const& id) { return conversation_key(id) + ":log"; }

// ARGV: 1 conversation, 2 case id, 3 message id, 4 text, 5 at (RFC 3339)
lua_script const append_staff_script(std::string("#!lua\n") + lua_prelude() + R"lua(
local SENT_MARK_TTL = 30 * 24 * 3600  -- longer than any redelivery of an outbound entry
local conv = chatkey(ARGV[1])
local mark = conv .. ':sent:' .. ARGV[3]
local prior = redis.call('GET', mark)
if prior then return {1, tonumber(prior)} end
local seq = redis.call('HINCRBY', conv, 'last_seq', 1)
redis.call('XADD', conv .. ':log', '0-' .. seq, 'id', ARGV[3], 'from', ARGV[6], 'text', ARGV[4], 'at', ARGV[5])
redis.call('SET', mark, seq, 'EX', SENT_MARK_TTL)
local inbox = redis.call('HGET', ckey(ARGV[2]), 'inbox') or ''
event('chat.message', ARGV[2], inbox, 'conversation_id', ARGV[1], 'seq', seq)
return {1, seq}
)lua");

// Extends a session only while it exists and has not ended, in one step: a
// message after the end must not bring back a half-built session.
// ARGV: 1 token hash, 2 now (ms), 3 new end (ms), 4 ttl (s). Returns 1 or 0.
lua_script const extend_session_script(std::string("#!lua\n") + lua_prelude() + R"lua(
local key = sessionkey(ARGV[1])
local ends = tonumber(redis.call('HGET', key, 'expires_at') or '')
if not ends or ends <= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', key, 'expires_at', ARGV[3])
redis.call('EXPIRE', key, ARGV[4])
return 1
)lua");

} // namespace

chat_store::chat_store(std::shared_ptr<redis_connection> redis) : redis_(std::move(redis)) {}

void chat_store::create_session(std::string const& token_hash, chat_session const& s, std::chrono::seconds ttl,
                                std::function<void(boost::system::error_code)> done) {
  auto const session = session_key(token_hash);
  run_all(*redis_,
          {{"HSET", session, "conversation_id", s.conversation_id, "expires_at", std::to_string(s.expires_ms)},
           {"EXPIRE", session, std::to_string(ttl.count())},
           {"HSET", conversation_key(s.conversation_id), "case_id", s.case_id, "reference", s.reference, "lang", s.lang, "name", s.name,
            "needs", s.needs, "page", s.page, "last_seq", "0"}},
          [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply>) { done(ec); });
}

void chat_store::find_session(std::string const& token_hash,
                              std::function<void(boost::system::error_code, std::optional<chat_session>)> done) {
  redis_->execute({"HGETALL", session_key(token_hash)}, [this, done = std::move(done)](boost::system::error_code ec, redis_reply r) mutable {
    if (ec) return done(ec, std::nullopt);
    auto f = pairs(r);
    if (f.empty()) return done({}, std::nullopt);
    chat_session s;
    s.conversation_id = f["conversation_id"];
    s.expires_ms = std::strtoll(f["expires_at"].c_str(), nullptr, 10);
    redis_->execute({"HGETALL", conversation_key(s.conversation_id)},
                    [s, done = std::move(done)](boost::system::error_code ec, redis_reply r) mutable {
                      if (ec) return done(ec, std::nullopt);
                      auto f = pairs(r);
                      s.case_id = f["case_id"], s.reference = f["reference"], s.lang = f["lang"], s.name = f["name"], s.needs = f["needs"], s.page = f["page"];
                      done({}, std::move(s));
                    });
  });
}

void chat_store::extend_session(std::string const& token_hash, long long now_ms, long long expires_ms, std::chrono::seconds ttl,
                                std::function<void(boost::system::error_code, bool)> done) {
  extend_session_script.run(*redis_, {}, {token_hash, std::to_string(now_ms), std::to_string(expires_ms), std::to_string(ttl.count())},
                            [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                              if (ec) return done(ec, false);
                              done({}, r.integer == 1);
                            });
}

void chat_store::read_log(std::string const& conversation_id, std::int64_t after_seq, std::size_t limit,
                          std::function<void(boost::system::error_code, std::vector<webchat::conversation_entry>, std::int64_t)> done) {
  run_all(*redis_,
          {{"XRANGE", log_key(conversation_id), "(0-" + std::to_string(after_seq), "+", "COUNT", std::to_string(limit)},
           {"HGET", conversation_key(conversation_id), "last_seq"}},
          [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply> r) {
            if (ec) return done(ec, {}, 0);
            std::vector<webchat::conversation_entry> out;
            for (auto const& e : r[0].elements) {
              if (e.elements.size() != 2) continue;
              auto f = pairs(e.elements[1]);
              auto const id = e.elements[0].str;
              out.push_back({std::strtoll(id.substr(id.find('-') + 1).c_str(), nullptr, 10), f["id"], f["from"], f["text"], f["at"]});
            }
            done({}, std::move(out), std::strtoll(r[1].str.c_str(), nullptr, 10));
          });
}

void chat_store::append_staff(std::string const& conversation_id, std::string const& case_id, webchat::conversation_entry const& e,
                              std::function<void(boost::system::error_code, std::int64_t)> done) {
  append_staff_script.run(*redis_, {}, {conversation_id, case_id, e.id, e.text, e.at, e.from == "system" ? "system" : "staff"},
                          [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
                            if (ec) return done(ec, 0);
                            if (r.elements.size() != 2) return done(errc::unexpected_reply, 0);
                            done({}, r.elements[1].integer);
                          });
}

} // namespace balie::queue
