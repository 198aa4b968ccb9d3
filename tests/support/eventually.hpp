#pragma once
// Waiting on a state that has no event of its own to wait for (a Redis key,
// a pending-entries list): the condition is polled, up to a deadline.

#include <chrono>
#include <thread>

namespace balie::test {

template <class Pred>
bool eventually(Pred done, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  for (auto const until = std::chrono::steady_clock::now() + deadline; std::chrono::steady_clock::now() < until;) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

} // namespace balie::test
