// The hub with a log whose appends complete only when the test says so:
// publish waits for durability, shutdown refuses newcomers, and the hub
// outlives every append it started.

#include "sse/hub/hub.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

using namespace sse;
using namespace std::chrono_literals;

namespace {

// Appends wait in a list until release(); then they are sealed and called
// back in order, as a durable log would after its commit.
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
  bool covers(EventId after) const override { return after <= head(); }
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

 private:
  std::mutex mu_;
  std::vector<std::pair<EventDraft, AppendCallback>> pending_;
  std::atomic<EventId> head_{0};
};

EventDraft note(const std::string& user) {
  EventDraft draft;
  draft.channel = Channel::kNotifications;
  draft.type = "notification";
  draft.audience.user_id = user;
  draft.render_data = [](EventId id, int64_t) { return "{\"id\":\"" + std::to_string(id) + "\"}"; };
  return draft;
}

StreamRequest chat_request(const std::string& user, const std::string& room) {
  StreamRequest request;
  request.subscription.channel = Channel::kChat;
  request.subscription.user_id = user;
  request.subscription.room = room;
  request.owner = {user, user, "127.0.0.1:1"};
  request.preamble = "retry: 1000\n\n";
  return request;
}

template <class F>
bool eventually(F condition) {
  for (int i = 0; i < 500; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("hub: publish answers only once the log has the event", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  Hub hub({1, {}}, log, metrics, clock);
  auto answer = std::async(std::launch::async, [&] { return hub.publish(note("alice")); });
  REQUIRE(eventually([&] { return log.pending() == 1; }));
  CHECK(answer.wait_for(50ms) == std::future_status::timeout);
  log.release();
  auto published = answer.get();
  REQUIRE(published.ok());
  CHECK(published->event->id == 1);
  CHECK(published->delivered == 0);
  CHECK(metrics.events_published[static_cast<size_t>(Channel::kNotifications)] == 1);
}

TEST_CASE("hub: after shutdown, streams and publishes are refused", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  Hub hub({1, {}}, log, metrics, clock);
  hub.shutdown("", clock.steady_ms());
  CHECK_FALSE(hub.attach(chat_request("alice", "")).ok());
  CHECK_FALSE(hub.publish(note("alice")).ok());
  CHECK(hub.open_streams()[static_cast<size_t>(Channel::kChat)] == 0);
}

TEST_CASE("hub: a registered stream is counted, listed and kicked", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  Hub hub({2, {}}, log, metrics, clock);
  auto attached = hub.attach(chat_request("alice", ""));
  REQUIRE(attached.ok());
  CHECK(attached->replay_complete);
  CHECK(hub.open_streams()[static_cast<size_t>(Channel::kChat)] == 1);
  auto streams = hub.streams();
  REQUIRE(streams.size() == 1);
  CHECK(streams[0].owner.user_id == "alice");
  CHECK(hub.kick(attached->id));
  CHECK(eventually([&] { return hub.streams().empty(); }));
  CHECK_FALSE(hub.kick(attached->id));
}

TEST_CASE("hub: destruction waits for appends in flight, whose callbacks use the hub", "[hub]") {
  ManualLog log;
  Metrics metrics;
  ManualClock clock;
  auto hub = std::make_unique<Hub>(HubSettings{1, {}}, log, metrics, clock);
  // Joining a room announces the user without waiting for the log.
  REQUIRE(hub->attach(chat_request("alice", "general")).ok());
  REQUIRE(eventually([&] { return log.pending() == 1; }));
  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    hub.reset();
    destroyed = true;
  });
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(destroyed);
  log.release();  // the callback routes through the hub: it must still be there
  destroyer.join();
  CHECK(destroyed);
  CHECK(metrics.events_published[static_cast<size_t>(Channel::kChat)] == 1);
}
