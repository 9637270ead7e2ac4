#pragma once

// The threads that run request handlers. A handler runs only with a complete
// request (the event loops read it), so a thread is busy for the handler's
// own work (JSON, auth, the log append) and never while a client trickles.
// Jobs wait in a bounded queue; when it is full try_submit() refuses, and the
// edge answers 503 with Retry-After instead of holding the request.
//
// Thread-safe. Owns its threads.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sse/util/result.hpp"

namespace sse {

class HandlerPool {
 public:
  using Job = std::function<void()>;

  // Fails (unavailable) when a thread cannot be started.
  static Result<std::unique_ptr<HandlerPool>> create(size_t threads, size_t max_queued);
  ~HandlerPool();  // stop()
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Queues `job`. False, and `job` is dropped unrun, when `max_queued` jobs
  // are waiting already or stop() has begun.
  bool try_submit(Job job);

  // Refuses new jobs, drops the jobs not yet started (at shutdown their
  // connections are closed already), waits for the running ones and joins
  // the threads. Idempotent; not from a pool thread.
  void stop();

  size_t waiting() const;  // jobs queued, not yet running

 private:
  explicit HandlerPool(size_t max_queued) : max_queued_(max_queued) {}
  void run();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  size_t idle_ = 0;  // threads waiting for a job
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sse
