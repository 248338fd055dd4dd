// Deterministic parallel-for: items are claimed from an atomic counter, each worker writes only
// its own items, and the first exception is rethrown after all workers have joined.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace septrial {

/// Cooperative cancellation and progress shared between workers and the calling thread.
struct RunControl {
  std::atomic<bool> cancel{false};
  std::atomic<std::size_t> done{0};
};

/// Calls body(i) for i in [0, n) on `threads` workers. `poll` runs on the calling thread about
/// every poll_ms while workers run (for progress and Ctrl-C); it may set control.cancel.
inline void parallel_for(std::size_t n, int threads, RunControl& control,
                         const std::function<void(std::size_t)>& body, const std::function<void()>& poll = {},
                         int poll_ms = 50) {
  const std::size_t workers =
      std::max<std::size_t>(1, std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads))));
  if (n == 1) {  // a single item runs on the calling thread: no thread start-up for one patient
    body(0);
    control.done.fetch_add(1);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  std::mutex finished_mutex;
  std::condition_variable finished_cv;
  std::size_t finished = 0;
  auto work_items = [&]() {
    for (;;) {
      if (control.cancel.load(std::memory_order_relaxed)) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        control.cancel = true;
        return;
      }
      control.done.fetch_add(1, std::memory_order_relaxed);
    }
  };
  // Workers announce their exit so the calling thread wakes at once, not at the next poll.
  auto work = [&]() {
    work_items();
    std::lock_guard<std::mutex> lock(finished_mutex);
    ++finished;
    finished_cv.notify_all();
  };
  std::vector<std::thread> pool;
  pool.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work);
  if (poll) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(finished_mutex);
        if (finished_cv.wait_for(lock, std::chrono::milliseconds(poll_ms),
                                 [&] { return finished == workers; }))
          break;
      }
      if (control.cancel.load()) break;
      try {
        poll();
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        control.cancel = true;
      }
    }
  }
  for (auto& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

/// parallel_for over [0, n) in blocks of `block` items: body(begin, end) per block, which lets a
/// worker handle several items together; control.done still counts items (for progress).
inline void parallel_for_blocks(std::size_t n, std::size_t block, int threads, RunControl& control,
                                const std::function<void(std::size_t, std::size_t)>& body,
                                const std::function<void()>& poll = {}, int poll_ms = 50) {
  const std::size_t blocks = (n + block - 1) / block;
  parallel_for(
      blocks, threads, control,
      [&](std::size_t b) {
        const std::size_t begin = b * block, end = std::min(n, begin + block);
        body(begin, end);
        control.done.fetch_add(end - begin - 1, std::memory_order_relaxed);  // parallel_for adds 1
      },
      poll, poll_ms);
}

}  // namespace septrial
