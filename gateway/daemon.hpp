#pragma once
// The balied process: builds every component from the configuration, runs
// the io_context on N threads, and owns the lifecycle (SIGTERM/SIGINT drain
// and stop, SIGHUP reload).

#include "gateway/config.hpp"

#include <memory>

namespace balie::gateway {

class daemon {
public:
  explicit daemon(config);
  ~daemon();

  /// Runs until stopped; returns the process exit code.
  int run();

private:
  struct parts;
  void wait_for_signal();
  void begin_shutdown();
  void shutdown_step();
  void reload();
  void expire_claims();

  config config_;
  std::unique_ptr<parts> parts_;
};

} // namespace balie::gateway
