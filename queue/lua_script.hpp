#pragma once
// A Lua script run by hash: EVALSHA first, and on NOSCRIPT (a restarted or
// flushed Redis) the full text once. Every script carries the `#!lua`
// shebang, so Redis refuses a writing script up front when out of memory
// instead of failing halfway.

#include "queue/redis_connection.hpp"

#include <string>
#include <string_view>

namespace balie::queue {

class lua_script {
public:
  explicit lua_script(std::string_view text);

  /// `keys` and `args` as EVAL takes them; the reply as Redis gives it.
  void run(redis_connection&, std::vector<std::string> keys, std::vector<std::string> args,
           std::function<void(boost::system::error_code, redis_reply)>) const;

private:
  std::string text_;
  std::string sha_;
};

} // namespace balie::queue
