#pragma once
// Balie's Redis and channel operations report through a callback. A
// coroutine awaits one with `awaited<Results...>(start)`: `start` receives
// the callback to hand to the operation; the coroutine resumes on its own
// executor (never on the thread that called back), with the results as a
// tuple. An operation that drops its callback uncalled ends the coroutine.
// `awaited_on(pool, work)` runs blocking work on a thread pool the same way.
// For .cpp files only: Asio's coroutine headers are heavy.
//
// A lambda written inside a co_await expression captures only references
// and pointers (the coroutine outlives the operation it waits for): GCC 12
// (Debian 12) relocates such a temporary bitwise, so a captured std::string
// ends up pointing into the coroutine frame and is freed twice.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <tuple>

namespace balie {

template <class... Results, class Start>
boost::asio::awaitable<std::tuple<Results...>> awaited(Start start) {
  namespace asio = boost::asio;
  return asio::async_initiate<asio::use_awaitable_t<> const, void(std::tuple<Results...>)>(
      [](auto handler, Start start) {
        // A std::function copies its target: the move-only handler is shared, and called once.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start([shared](Results... results) {
          auto const ex = asio::get_associated_executor(*shared);
          asio::post(ex, [shared, values = std::tuple<Results...>(std::move(results)...)]() mutable {
            std::move (*shared)(std::move(values));
          });
        });
      },
      asio::use_awaitable, std::move(start));
}

/// Runs blocking `work` (a file, a libcurl transfer) on `pool` and resumes with
/// its result on the coroutine's own executor: the network threads never wait.
template <class Pool, class Work>
auto awaited_on(Pool& pool, Work work) {
  namespace asio = boost::asio;
  using result = decltype(work());
  return asio::async_initiate<asio::use_awaitable_t<> const, void(result)>(
      [&pool](auto handler, Work work) {
        asio::post(pool, [work = std::move(work), handler = std::move(handler)]() mutable {
          auto const ex = asio::get_associated_executor(handler);
          asio::post(ex, [handler = std::move(handler), value = work()]() mutable { std::move(handler)(std::move(value)); });
        });
      },
      asio::use_awaitable, std::move(work));
}

} // namespace balie
