#include "server/handler_pool.hpp"

#include <system_error>

#include <fmt/format.h>

namespace sse {

Result<std::unique_ptr<HandlerPool>> HandlerPool::create(size_t threads, size_t max_queued) {
  std::unique_ptr<HandlerPool> pool(new HandlerPool(max_queued));
  try {
    for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
      pool->threads_.emplace_back([raw = pool.get()] { raw->run(); });
    }
  } catch (const std::system_error& e) {
    pool->stop();
    return Error::unavailable(fmt::format("request handlers: cannot start a thread: {}", e.what()));
  }
  return pool;
}

HandlerPool::~HandlerPool() { stop(); }

bool HandlerPool::try_submit(Job job) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
    wake = idle_ > 0;
  }
  if (wake) ready_.notify_one();
  return true;
}

void HandlerPool::stop() {
  std::deque<Job> dropped;  // destroyed outside the lock
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped.swap(jobs_);
  }
  ready_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

size_t HandlerPool::waiting() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void HandlerPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (jobs_.empty()) {
      if (stopping_) return;
      ++idle_;
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      continue;
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    try {
      job();
    } catch (...) {
      // a job answers its own errors (http_edge.cpp); nothing to answer here
    }
    job = nullptr;  // what it captured goes before the next wait
    lock.lock();
  }
}

}  // namespace sse
