#pragma once
// The balied process: builds every component from the configuration, runs
// the io_context on N threads, and owns the lifecycle (SIGTERM/SIGINT drain
// and stop, SIGHUP reload).

#include "gateway/config.hpp"

#include <atomic>
#include <memory>

namespace balie::gateway {

class daemon {
public:
  explicit daemon(config);
  ~daemon();

  /// Runs until stopped; returns the process exit code.
  int run();
  /// As SIGTERM: stop accepting, finish in-flight enqueues, exit.
  void request_stop();
  /// The bound HTTP port (after run() started listening; 0 before).
  std::uint16_t http_port() const { return port_.load(); }

private:
  struct parts;
  void begin_shutdown();
  void shutdown_step();
  void reload();

  config config_;
  std::unique_ptr<parts> parts_;
  std::atomic<std::uint16_t> port_{0};
};

} // namespace balie::gateway
