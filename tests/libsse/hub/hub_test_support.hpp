#pragma once

// What the hub's tests share: a log whose appends complete when the test says
// so, a loopback socket pair, and a reader that waits for bytes.

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "../support/loopback_client.hpp"
#include "sse/log/event_log.hpp"

namespace sse::hub_test {

inline constexpr auto kPatience =
    std::chrono::seconds(5);  // the most a wait takes when things work

// What every stream the hub tests open gets first (their retry is 1 s).
inline const std::string kPreamble = "retry: 1000\n\n";

// A notification to `user` whose data is {"id":"<its id>"}.
inline EventDraft notification_to(const std::string& user) {
  EventDraft draft;
  draft.channel = Channel::kNotifications;
  draft.type = "notification";
  draft.audience.user_id = user;
  draft.render_data = [](EventId id, int64_t) { return "{\"id\":\"" + std::to_string(id) + "\"}"; };
  return draft;
}

// Appends wait in a list until release(); then they are sealed and called
// back in order, as a durable log would after its commit. covers() can be
// made to wait too (hold_covers), to stop Hub::open between registering a
// stream and announcing it.
class ManualLog final : public EventLog {
 public:
  void append(const EventDraft& draft, AppendCallback done) override {
    std::lock_guard lock(mu_);
    pending_.push_back({draft, std::move(done)});
  }
  Result<ReplayPage> replay(EventId, EventId up_to, const EventFilter&, size_t) const override {
    ReplayPage page;
    page.next_after = up_to;
    return page;
  }
  bool covers(EventId after) const override {
    std::unique_lock lock(mu_);
    ++covers_calls_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return !covers_held_; });
    return after <= head();
  }
  EventId head() const override { return head_.load(); }
  size_t size() const override { return head_.load(); }

  size_t pending() {
    std::lock_guard lock(mu_);
    return pending_.size();
  }
  void release() {
    std::vector<std::pair<EventDraft, AppendCallback>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
    }
    for (auto& [draft, done] : batch) done(seal_event(draft, ++head_, 1'700'000'000'000));
  }

  // covers() waits from now until let_covers_go().
  void hold_covers() {
    std::lock_guard lock(mu_);
    covers_held_ = true;
  }
  void let_covers_go() {
    std::lock_guard lock(mu_);
    covers_held_ = false;
    changed_.notify_all();
  }
  // Returns once covers() has been called `calls` times in all.
  bool wait_for_covers(size_t calls) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kPatience, [&] { return covers_calls_ >= calls; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  mutable size_t covers_calls_ = 0;
  bool covers_held_ = false;
  std::vector<std::pair<EventDraft, AppendCallback>> pending_;
  std::atomic<EventId> head_{0};
};

// Streams are read with the shared loopback client (tests/libsse/support).
using Reader = test::Client;
using test::tcp_pair;

template <class F>
bool eventually(F condition) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace sse::hub_test
