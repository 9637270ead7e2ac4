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

uint64_t waiting_bytes(const ReplayScheduler::Job& job) {
  return job.stats->queued_bytes.load(std::memory_order_relaxed) +
         job.stats->replay_in_flight_bytes.load(std::memory_order_relaxed);
}

}  // namespace

ReplayScheduler::ReplayScheduler(EventLog& log, StreamRegistry& registry, Metrics& metrics,
                                 ReplayBudget budget)
    : log_(log), registry_(registry), metrics_(metrics), budget_(std::move(budget)) {}

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

namespace {
constexpr int64_t kUnavailableRetryMs = 200;
int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

bool ReplayScheduler::ready(const Job& job) const {
  if (job.not_before_ms > 0 && steady_now_ms() < job.not_before_ms) return false;
  const uint64_t waiting = job.stats->queued.load(std::memory_order_relaxed) +
                           job.stats->replay_in_flight.load(std::memory_order_relaxed);
  if (waiting > kReplayQueueLow || waiting_bytes(job) > budget_.stream_bytes / 2) return false;
  return !budget_.queued_total || budget_.queued_total() <= budget_.total_bytes;
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
    // A log away for now (a shared log's server): the stream stays open
    // (heartbeats go on) and the page is read again shortly.
    if (page.error().is_unavailable()) {
      job.not_before_ms = steady_now_ms() + kUnavailableRetryMs;
      return true;
    }
    // The client reconnects and tries again; nothing was skipped.
    registry_.close(job.id, CloseReason::kServerError);
    return false;
  }
  job.not_before_ms = 0;
  // Cut to the room left under half the stream's bound (one event at least),
  // so that live events and heartbeats after the replay still fit under it;
  // the scan resumes after the last event kept.
  const uint64_t waiting = waiting_bytes(job);
  const uint64_t fill = budget_.stream_bytes / 2;
  const uint64_t room = fill > waiting ? fill - waiting : 0;
  uint64_t bytes = 0;
  size_t keep = 0;
  while (keep < page->events.size() &&
         (keep == 0 || bytes + page->events[keep]->wire.size() <= room)) {
    bytes += page->events[keep]->wire.size();
    ++keep;
  }
  if (keep < page->events.size()) {
    page->events.resize(keep);
    page->next_after = page->events.back()->id;
    page->finished = false;
  }
  const size_t events = page->events.size();
  job.after = page->next_after;
  const auto fed = registry_.feed_replay(job.id, std::move(*page));
  if (fed == StreamRegistry::ReplayFed::kGone) return false;
  metrics_.replayed_events.fetch_add(events, Metrics::relaxed);
  return fed == StreamRegistry::ReplayFed::kMore;
}

}  // namespace sse::detail
