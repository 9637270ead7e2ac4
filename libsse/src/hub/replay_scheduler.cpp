#include "hub/replay_scheduler.hpp"

#include <chrono>
#include <system_error>

namespace sse::detail {
namespace {

constexpr size_t kReplayPage = 256;
// A replaying stream gets its next page once this little is waiting for it.
constexpr uint64_t kReplayQueueLow = 2 * kReplayPage;
// How long the thread rests when no replaying stream can take a page.
constexpr auto kReplayIdle = std::chrono::milliseconds(5);

}  // namespace

ReplayScheduler::ReplayScheduler(EventLog& log, StreamRegistry& registry, Metrics& metrics)
    : log_(log), registry_(registry), metrics_(metrics) {}

ReplayScheduler::~ReplayScheduler() { stop(); }

Status ReplayScheduler::start() {
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return Error::unavailable(std::string("replay scheduler: thread: ") + e.what());
  }
  return {};
}

void ReplayScheduler::schedule(Job job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void ReplayScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ReplayScheduler::ready(const Job& job) const {
  const uint64_t waiting = job.stats->queued.load(std::memory_order_relaxed) +
                           job.stats->replay_in_flight.load(std::memory_order_relaxed);
  return waiting <= kReplayQueueLow;
}

void ReplayScheduler::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    // One pass over the jobs: a page for each stream that has room for one.
    bool progressed = false;
    for (size_t n = jobs_.size(); n > 0 && !stopping_; --n) {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      if (!ready(job)) {
        jobs_.push_back(std::move(job));
        continue;
      }
      progressed = true;
      lock.unlock();
      const bool more = step(job);
      lock.lock();
      if (more && !stopping_) jobs_.push_back(std::move(job));
    }
    if (stopping_) return;
    if (!progressed) wake_.wait_for(lock, kReplayIdle, [this] { return stopping_; });
  }
}

bool ReplayScheduler::step(Job& job) {
  const EventId up_to = registry_.routed_up_to();
  Result<ReplayPage> page = log_.replay(
      job.after, up_to, [&job](const Event& e) { return job.subscription.accepts(e); },
      kReplayPage);
  if (!page) {
    // The client reconnects and tries again; nothing was skipped.
    registry_.close(job.id, CloseReason::kServerError);
    return false;
  }
  const size_t events = page->events.size();
  job.after = page->next_after;
  const auto fed = registry_.feed_replay(job.id, std::move(*page));
  if (fed == StreamRegistry::ReplayFed::kGone) return false;
  metrics_.replayed_events.fetch_add(events, Metrics::relaxed);
  return fed == StreamRegistry::ReplayFed::kMore;
}

}  // namespace sse::detail
