#include "queue/messenger_contacts.hpp"

#include "queue/case_store.hpp"
#include "queue/keys.hpp"
#include "queue/lua_script.hpp"

#include <charconv>

namespace balie::queue {
namespace {

/// The last message's time outlives the 24-hour window by far: it also tells staff when the resident last wrote.
constexpr std::chrono::seconds last_inbound_ttl{90 * 24 * 3600};
/// A resident who has not written for a year is told again what the platform can see.
constexpr std::chrono::seconds notice_ttl{365 * 24 * 3600};

// KEYS: 1 last-inbound key, 2 room key (or the same key twice: no room). ARGV: 1 ms, 2 ttl (s), 3 room ('' = none)
lua_script const& note_script() {
  static lua_script const s(R"lua(#!lua
local known = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > known then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) end
return 1
)lua");
  return s;
}

std::optional<message_ref> ref_of(redis_reply const& r) {
  if (!r.is_string()) return std::nullopt;
  auto const space = r.str.find(' ');
  if (space == std::string::npos) return std::nullopt;
  auto const end = r.str.find(' ', space + 1);
  return message_ref{r.str.substr(0, space), r.str.substr(space + 1, end == std::string::npos ? std::string::npos : end - space - 1)};
}

} // namespace

void messenger_contacts::note_inbound(std::string const& address, long long at_ms, std::string const& room,
                                      std::function<void(boost::system::error_code)> done) const {
  auto const last = keys::messenger_last_inbound(address);
  note_script().run(*redis_, {last, room.empty() ? last : keys::matrix_room(address)},
                    {std::to_string(at_ms), std::to_string(last_inbound_ttl.count()), room},
                    [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

void messenger_contacts::last_inbound(std::string const& address,
                                      std::function<void(boost::system::error_code, std::optional<long long>)> done) const {
  redis_->execute({"GET", keys::messenger_last_inbound(address)}, [done = std::move(done)](boost::system::error_code ec, redis_reply r) {
    if (ec || !r.is_string()) return done(ec, std::nullopt);
    long long ms = 0;
    auto const [end, err] = std::from_chars(r.str.data(), r.str.data() + r.str.size(), ms);
    if (err != std::errc{} || end != r.str.data() + r.str.size()) return done({}, std::nullopt);
    done({}, ms);
  });
}

void messenger_contacts::first_contact(std::string const& address, std::function<void(boost::system::error_code, bool)> done) const {
  redis_->execute({"SET", keys::messenger_noticed(address), "1", "NX", "EX", std::to_string(notice_ttl.count())},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.str == "OK"); });
}

void messenger_contacts::room_of(std::string const& user, std::function<void(boost::system::error_code, std::string)> done) const {
  redis_->execute({"GET", keys::matrix_room(user)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, r.is_string() ? r.str : std::string{}); });
}

void messenger_contacts::transaction_done(std::string const& txn, std::function<void(boost::system::error_code, bool)> done) const {
  redis_->execute({"EXISTS", keys::matrix_transaction(txn)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, !ec && r.integer == 1); });
}

void messenger_contacts::mark_transaction(std::string const& txn, std::chrono::seconds ttl,
                                          std::function<void(boost::system::error_code)> done) const {
  redis_->execute({"SET", keys::matrix_transaction(txn), "1", "EX", std::to_string(ttl.count())},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply) { done(ec); });
}

void messenger_contacts::record_sent(std::string const& case_id, std::string const& message_id, std::string const& address,
                                     std::string const& platform_id, std::chrono::seconds window, std::chrono::seconds ttl,
                                     std::function<void(boost::system::error_code)> done) const {
  run_all(*redis_,
          {{"SADD", keys::case_participants(case_id), address},
           {"SADD", keys::case_threads(case_id), keys::sms_recent(address), keys::messenger_sent(platform_id)},
           {"SET", keys::sms_recent(address), case_id, "EX", std::to_string(window.count())},
           {"SET", keys::messenger_sent(platform_id), message_id + " " + case_id, "EX", std::to_string(ttl.count())}},
          [done = std::move(done)](boost::system::error_code ec, std::vector<redis_reply>) { done(ec); });
}

void messenger_contacts::sent_message(std::string const& platform_id,
                                      std::function<void(boost::system::error_code, std::optional<message_ref>)> done) const {
  redis_->execute({"GET", keys::messenger_sent(platform_id)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, ec ? std::nullopt : ref_of(r)); });
}

void messenger_contacts::stored_message(std::string const& dedup_key,
                                        std::function<void(boost::system::error_code, std::optional<message_ref>)> done) const {
  redis_->execute({"GET", keys::dedup(dedup_key)},
                  [done = std::move(done)](boost::system::error_code ec, redis_reply r) { done(ec, ec ? std::nullopt : ref_of(r)); });
}

} // namespace balie::queue
