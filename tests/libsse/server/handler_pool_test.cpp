// The handler pool: jobs run on its threads, the queue is bounded, and
// stop() drops what has not started and waits for what runs.

#include "server/handler_pool.hpp"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

using namespace std::chrono_literals;

struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int arrived = 0;
  void arrive_and_wait() {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    cv.wait(lock, [this] { return open; });
  }
  bool await_arrived(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [&] { return arrived >= n; });
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("handler pool: a full queue refuses the next job, and stop drops the queued ones",
          "[handler_pool]") {
  auto made = sse::HandlerPool::create(1, 2);
  REQUIRE(made);
  auto& pool = **made;
  Latch latch;
  std::atomic<int> ran{0};
  REQUIRE(pool.try_submit([&] {
    latch.arrive_and_wait();
    ++ran;
  }));
  REQUIRE(latch.await_arrived(1));  // the one thread is busy
  CHECK(pool.try_submit([&] { ran += 10; }));
  CHECK(pool.try_submit([&] { ran += 10; }));
  CHECK(pool.waiting() == 2);
  CHECK_FALSE(pool.try_submit([&] { ran += 100; }));  // the queue holds 2
  // stop() while the first job still runs: the two waiting are dropped.
  std::thread stopper([&] { pool.stop(); });
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (pool.waiting() != 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  CHECK(pool.waiting() == 0);
  latch.release();
  stopper.join();
  CHECK(ran.load() == 1);
  CHECK_FALSE(pool.try_submit([&] { ran += 100; }));  // stopped
}

TEST_CASE("handler pool: jobs run on several threads at once", "[handler_pool]") {
  auto made = sse::HandlerPool::create(4, 16);
  REQUIRE(made);
  Latch latch;
  for (int i = 0; i < 4; ++i) REQUIRE((*made)->try_submit([&] { latch.arrive_and_wait(); }));
  CHECK(latch.await_arrived(4));  // all four waiting together: four threads
  latch.release();
  (*made)->stop();
}

TEST_CASE("handler pool: a job that throws does not take its thread down", "[handler_pool]") {
  auto made = sse::HandlerPool::create(1, 4);
  REQUIRE(made);
  std::atomic<bool> after{false};
  REQUIRE((*made)->try_submit([] { throw std::runtime_error("boom"); }));
  REQUIRE((*made)->try_submit([&] { after = true; }));
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!after.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  CHECK(after.load());  // the same (only) thread ran it
  (*made)->stop();
}
