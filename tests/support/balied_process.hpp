#pragma once
// A real balied for one test: its own config in a temporary directory,
// HTTP on a free loopback port (port 0; the port is read from the
// "http.listening" log line), the test's redis-server over its unix socket.

#include "tests/support/process.hpp"
#include "tests/support/redis_server.hpp"

#include <nlohmann/json.hpp>

namespace balie::test {

struct balied_options {
  std::string redis_socket;
  std::filesystem::path dir;
  nlohmann::json overrides = nlohmann::json::object();  ///< merged into the config (merge_patch)
  bool wait_for_redis = true;
};

class balied_process {
public:
  explicit balied_process(balied_options);
  ~balied_process();

  std::uint16_t port() const { return port_; }
  std::filesystem::path const& config_file() const { return config_file_; }
  child_process& process() { return process_; }
  /// Log lines parsed as JSON (non-JSON lines skipped).
  std::vector<nlohmann::json> log() const;
  /// Whether `event` was logged after the first `checked` lines; moves `checked` past the lines read.
  /// Cheap to poll in a loop (a long log is not parsed again and again).
  bool logged_since(std::string const& event, std::size_t& checked) const;
  /// Waits until `event` has been logged `count` times since start.
  bool wait_for_event(std::string const& event, std::size_t count = 1, std::chrono::seconds timeout = std::chrono::seconds(30));
  /// Writes a new config (for SIGHUP tests).
  void rewrite_config(nlohmann::json const& overrides);

  static nlohmann::json base_config(std::string const& redis_socket, std::filesystem::path const& dir);

private:
  balied_options options_;
  std::filesystem::path config_file_;
  child_process process_;
  std::uint16_t port_ = 0;
};

/// A redis-server and a balied sharing one temporary directory.
struct test_stack {
  temp_dir dir;
  redis_server redis{dir.path / "redis"};
  std::unique_ptr<balied_process> balied;
  explicit test_stack(nlohmann::json overrides = nlohmann::json::object());
  std::uint16_t port() const { return balied->port(); }
  long long inbox_length(std::string const& inbox);
};

inline constexpr char const* staff_token = "staff-demo-token";
inline constexpr char const* admin_token = "admin-demo-token";
inline constexpr char const* privacy_token = "privacy-demo-token";
inline constexpr char const* records_token = "records-demo-token";
inline constexpr char const* system_token = "system-demo-token";

} // namespace balie::test
