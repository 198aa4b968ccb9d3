#include "tests/support/process.hpp"

#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace balie::test {

child_process::~child_process() {
  if (pid_ > 0) signal_and_wait(SIGKILL);
  if (reader_.joinable()) reader_.join();
}

void child_process::spawn(std::vector<std::string> argv) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t const parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // If the test process dies without running destructors (an abort from a
    // sanitizer, a crash), the kernel stops this child too: nothing is left running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);  // one stream: stderr lines (e.g. config errors) are assertable too
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
  {
    std::lock_guard lock(mutex_);
    eof_ = false;
  }
  if (reader_.joinable()) reader_.join();
  reader_ = std::thread([this, fd = out_fd_] {
    std::string partial;
    char buf[4096];
    for (;;) {
      auto const n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      partial.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = partial.find('\n')) != std::string::npos) {
        std::lock_guard lock(mutex_);
        lines_.push_back(partial.substr(0, nl));
        partial.erase(0, nl + 1);
        changed_.notify_all();
      }
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    if (!partial.empty()) lines_.push_back(partial);  // a last line without its newline is a line too
    eof_ = true;
    changed_.notify_all();
  });
}

bool child_process::wait_for_line(std::function<bool(std::string const&)> pred, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  std::size_t checked = 0;
  bool found = false;
  changed_.wait_for(lock, timeout, [&] {
    for (; checked < lines_.size(); ++checked)
      if (pred(lines_[checked])) return found = true;
    return eof_;
  });
  return found;
}

std::vector<std::string> child_process::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::vector<std::string> child_process::lines_from(std::size_t first) const {
  std::lock_guard lock(mutex_);
  if (first >= lines_.size()) return {};
  return {lines_.begin() + static_cast<std::ptrdiff_t>(first), lines_.end()};
}

void child_process::send_signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

bool child_process::output_ended() const {
  std::lock_guard lock(mutex_);
  return eof_;
}

int child_process::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int child_process::signal_and_wait(int signo) {
  send_signal(signo);
  return wait();
}

} // namespace balie::test
