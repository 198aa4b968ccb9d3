#include "queue/lua_script.hpp"

#include "channels/text.hpp"

#include <openssl/sha.h>

namespace balie::queue {

lua_script::lua_script(std::string_view text) : text_(text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<unsigned char const*>(text.data()), text.size(), digest);
  sha_ = to_hex(digest, sizeof digest);
}

void lua_script::run(redis_connection& redis, std::vector<std::string> keys, std::vector<std::string> args,
                     std::function<void(boost::system::error_code, redis_reply)> done) const {
  std::vector<std::string> tail;
  tail.reserve(1 + keys.size() + args.size());
  tail.push_back(std::to_string(keys.size()));
  for (auto& k : keys) tail.push_back(std::move(k));
  for (auto& a : args) tail.push_back(std::move(a));
  auto call = tail;
  call.insert(call.begin(), {"EVALSHA", sha_});
  redis.execute(std::move(call), [&redis, this, tail = std::move(tail), done = std::move(done)](boost::system::error_code ec,
                                                                                              redis_reply reply) mutable {
    if (ec == errc::error_reply && reply.str.rfind("NOSCRIPT", 0) == 0) {
      tail.insert(tail.begin(), {"EVAL", text_});
      return redis.execute(std::move(tail), std::move(done));
    }
    done(ec, std::move(reply));
  });
}

} // namespace balie::queue
