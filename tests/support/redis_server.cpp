#include "tests/support/redis_server.hpp"

#include <hiredis/hiredis.h>

#include <csignal>
#include <random>
#include <stdexcept>

namespace balie::test {
namespace fs = std::filesystem;

temp_dir::temp_dir() {
  std::random_device rd;
  path = fs::temp_directory_path() / ("balie-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

redis_server::redis_server(fs::path dir, bool durable) : dir_(std::move(dir)), socket_((dir_ / "redis.sock").string()), durable_(durable) {
  fs::create_directories(dir_);
}

redis_server::~redis_server() {
  if (process_ && process_->running()) process_->signal_and_wait(SIGKILL);
}

void redis_server::start() {
  process_ = std::make_unique<child_process>();
  process_->spawn({"redis-server", "--port", "0", "--unixsocket", socket_, "--unixsocketperm", "700", "--dir", dir_.string(),
                   "--appendonly", durable_ ? "yes" : "no", "--appendfsync", durable_ ? "always" : "everysec",
                   "--maxmemory-policy", "noeviction", "--save", "", "--daemonize", "no", "--loglevel", "notice"});
  if (!process_->wait_for_line([](std::string const& l) { return l.find("ready to accept connections") != std::string::npos; }))
    throw std::runtime_error("redis-server did not start");
}

void redis_server::stop() {
  if (process_ && process_->running()) process_->signal_and_wait(SIGTERM);
}

void redis_server::kill9() {
  if (process_ && process_->running()) process_->signal_and_wait(SIGKILL);
}

namespace {
void flatten(redisReply const* r, std::vector<std::string>& out) {
  if (r->type == REDIS_REPLY_ARRAY)
    for (std::size_t i = 0; i < r->elements; ++i) flatten(r->element[i], out);
  else if (r->type == REDIS_REPLY_INTEGER) out.push_back(std::to_string(r->integer));
  else if (r->str) out.emplace_back(r->str, r->len);
  else out.emplace_back();
}
} // namespace

std::vector<std::string> redis_server::list(std::vector<std::string> const& args) {
  redisContext* c = redisConnectUnix(socket_.c_str());
  if (!c || c->err) {
    if (c) redisFree(c);
    throw std::runtime_error("cannot connect to the test redis");
  }
  std::vector<char const*> argv;
  std::vector<std::size_t> lens;
  for (auto const& a : args) argv.push_back(a.data()), lens.push_back(a.size());
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  std::vector<std::string> out;
  if (r) {
    if (r->type == REDIS_REPLY_ERROR) {
      std::string err(r->str, r->len);
      freeReplyObject(r);
      redisFree(c);
      throw std::runtime_error("redis error: " + err);
    }
    flatten(r, out);
    freeReplyObject(r);
  }
  redisFree(c);
  return out;
}

std::string redis_server::command(std::vector<std::string> const& args) {
  std::string joined;
  for (auto const& s : list(args)) joined += (joined.empty() ? "" : "\n") + s;
  return joined;
}

long long redis_server::integer(std::vector<std::string> const& args) { return std::stoll(command(args)); }

} // namespace balie::test
