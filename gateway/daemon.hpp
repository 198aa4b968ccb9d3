#pragma once
// The balied process: builds every component from the configuration, runs
// the io_context on N threads, and owns the lifecycle (SIGTERM/SIGINT drain
// and stop, SIGHUP reload).

#include "gateway/config.hpp"
#include "gateway/route.hpp"

#include <memory>
#include <vector>

namespace balie::gateway {

class daemon {
public:
  explicit daemon(config);
  ~daemon();

  /// Runs until stopped; returns the process exit code.
  int run();
  /// Every HTTP route this configuration serves (its channels' included), for the OpenAPI test.
  std::vector<route> routes() const;

private:
  struct parts;
  void wait_for_signal();
  void begin_shutdown();
  void shutdown_step();
  void reload();
  void expire_claims();
  void watch_health();
  void watch_answers();
  void destroy_past_term();
  void propose(std::string const& case_id, std::string const& inbox);

  config config_;
  std::unique_ptr<parts> parts_;
};

} // namespace balie::gateway
