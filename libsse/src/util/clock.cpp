#include "sse/util/clock.hpp"

#include <chrono>

namespace sse {

ClockWatch& ClockWatch::operator=(ClockWatch&& other) noexcept {
  if (this != &other) {
    reset();
    clock_ = other.clock_;
    id_ = other.id_;
    other.clock_ = nullptr;
  }
  return *this;
}

void ClockWatch::reset() {
  if (clock_) clock_->unwatch(id_);
  clock_ = nullptr;
}

ClockWatch Clock::watch(std::function<void()> /*moved*/) const { return {}; }

int64_t SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t SystemClock::steady_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

void ManualClock::advance_ms(int64_t ms) {
  now_ += ms;
  tell_watchers();
}

void ManualClock::set_ms(int64_t ms) {
  now_ = ms;
  tell_watchers();
}

ClockWatch ManualClock::watch(std::function<void()> moved) const {
  std::lock_guard lock(watchers_mu_);
  const uint64_t id = next_watch_id_++;
  watchers_.emplace(id, std::move(moved));
  return make_watch(this, id);
}

void ManualClock::unwatch(uint64_t id) const {
  std::lock_guard lock(watchers_mu_);  // waits for a call in progress
  watchers_.erase(id);
}

void ManualClock::tell_watchers() const {
  std::lock_guard lock(watchers_mu_);
  for (const auto& [id, moved] : watchers_) moved();
}

}  // namespace sse
