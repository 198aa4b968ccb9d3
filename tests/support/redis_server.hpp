#pragma once
// A private redis-server for one test: a temporary directory, a unix socket,
// no TCP port, AOF with appendfsync always. Started and stopped by the test.

#include "tests/support/process.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace balie::test {

struct temp_dir {
  std::filesystem::path path;
  temp_dir();
  ~temp_dir();
};

class redis_server {
public:
  explicit redis_server(std::filesystem::path dir, bool durable = true);
  ~redis_server();

  void start();
  void stop();   ///< SIGTERM, wait
  void kill9();  ///< crash, wait
  std::string const& socket() const { return socket_; }

  /// A synchronous command for assertions; returns the reply as text
  /// (integers as digits, arrays flattened with '\n').
  std::string command(std::vector<std::string> const& args);
  long long integer(std::vector<std::string> const& args);
  std::vector<std::string> list(std::vector<std::string> const& args);

private:
  std::filesystem::path dir_;
  std::string socket_;
  bool durable_;
  std::unique_ptr<child_process> process_;
};

} // namespace balie::test
