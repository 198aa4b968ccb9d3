#pragma once
// A child process whose stdout is read line by line on a thread, so tests
// can wait for a line (an event, "Ready to accept connections") instead of
// sleeping. Lines are kept for assertions.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace balie::test {

class child_process {
public:
  child_process() = default;
  ~child_process();
  child_process(child_process const&) = delete;

  void spawn(std::vector<std::string> argv);
  /// Waits until a stdout line satisfies `pred` (or the process exits / the timeout passes).
  bool wait_for_line(std::function<bool(std::string const&)> pred, std::chrono::seconds timeout = std::chrono::seconds(30));
  std::vector<std::string> lines() const;
  /// The lines after the first `first` ones: polling a growing log without copying it all each time.
  std::vector<std::string> lines_from(std::size_t first) const;
  /// Sends a signal and waits for exit; returns the exit status (or 128+signal).
  int signal_and_wait(int signo);
  void send_signal(int signo);
  int wait();
  bool running() const { return pid_ > 0; }
  /// Its output has ended: it exited (or closed stdout and stderr), e.g. a server that failed to start.
  bool output_ended() const;
  int pid() const { return pid_; }

private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

} // namespace balie::test
