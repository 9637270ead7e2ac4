#include "sse/hub/hub.hpp"

#include <algorithm>
#include <future>

#include <fmt/format.h>

#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

constexpr size_t kReplayPage = 256;
// A replaying stream gets its next page once its queue is below this.
constexpr uint64_t kReplayQueueLow = 2 * kReplayPage;

std::string presence_key(const std::string& room, const std::string& user) {
  return room + '\n' + user;
}

}  // namespace

Hub::Hub(HubSettings settings, EventLog& log, Metrics& metrics, const Clock& clock)
    : log_(log), metrics_(metrics), clock_(clock) {
  last_routed_ = log.head();
  const size_t count = std::max<size_t>(settings.writer_threads, 1);
  for (size_t i = 0; i < count; ++i) {
    loops_.push_back(std::make_unique<WriterLoop>(
        settings.writer, clock, metrics,
        [this](StreamId id, CloseReason reason) { on_closed(id, reason); }));
  }
  replay_thread_ = std::thread([this] { replay_loop(); });
}

Hub::~Hub() {
  shutting_down_ = true;
  {
    std::lock_guard lock(replay_mu_);
    replay_stop_ = true;
  }
  replay_cv_.notify_all();
  replay_thread_.join();
  loops_.clear();
}

size_t Hub::route(const EventPtr& event) {
  std::vector<std::vector<StreamId>> targets(loops_.size());
  for (const auto& [id, entry] : entries_) {
    if (entry.subscription.accepts(*event)) targets[entry.loop].push_back(id);
  }
  size_t delivered = 0;
  for (size_t i = 0; i < loops_.size(); ++i) {
    if (targets[i].empty()) continue;
    delivered += targets[i].size();
    loops_[i]->post_deliver(event, std::move(targets[i]));
  }
  last_routed_ = event->id;
  return delivered;
}

void Hub::append_and_route(const EventDraft& draft, std::function<void(Result<Published>)> done) {
  log_.append(
      draft, [this, channel = draft.channel, done = std::move(done)](Result<EventPtr> appended) {
        if (!appended) {
          if (done) done(appended.error());
          return;
        }
        Published published{std::move(*appended), 0};
        {
          std::lock_guard lock(mu_);
          published.delivered = route(published.event);
        }
        metrics_.events_published[static_cast<size_t>(channel)].fetch_add(1, Metrics::relaxed);
        if (done) done(std::move(published));
      });
}

Result<Hub::Published> Hub::publish(const EventDraft& draft) {
  if (shutting_down_) return make_error("the server is shutting down");
  std::promise<Result<Published>> outcome;
  auto future = outcome.get_future();
  append_and_route(draft,
                   [&outcome](Result<Published> result) { outcome.set_value(std::move(result)); });
  return future.get();
}

StreamId Hub::attach(StreamRequest request) {
  StreamId id;
  EventId routed_before = 0;
  std::shared_ptr<StreamStats> stats = std::make_shared<StreamStats>();
  const Subscription subscription = request.subscription;
  const bool first_in_room = [&] {
    std::lock_guard lock(mu_);
    id = next_id_++;
    // Events up to last_routed_ went out before this stream existed (replay
    // them); every later one is routed to it live.
    routed_before = last_routed_;
    const size_t loop = next_loop_++ % loops_.size();
    stats->last_event_id = request.resume_after.value_or(0);
    Entry entry{request.subscription, request.owner, loop,
                clock_.now_ms(),      stats,         std::move(request.ticket)};
    entries_.emplace(id, std::move(entry));
    ++open_by_channel_[static_cast<size_t>(subscription.channel)];
    loops_[loop]->post_add(NewStream{id, std::move(request.preamble),
                                     request.resume_after.has_value(), request.expires_at_ms,
                                     stats});
    if (subscription.channel != Channel::kChat || subscription.room.empty()) return false;
    return ++presence_[presence_key(subscription.room, subscription.user_id)] == 1;
  }();
  metrics_.streams_opened[static_cast<size_t>(subscription.channel)].fetch_add(1, Metrics::relaxed);

  if (request.resume_after) {
    metrics_.replays.fetch_add(1, Metrics::relaxed);
    if (!log_.covers(*request.resume_after)) {
      metrics_.replays_incomplete.fetch_add(1, Metrics::relaxed);
    }
    {
      std::lock_guard lock(replay_mu_);
      replay_jobs_.push_back({id, subscription, *request.resume_after, routed_before, stats});
    }
    replay_cv_.notify_one();
  }
  if (first_in_room) announce_presence(subscription, request.owner, true);
  return id;
}

void Hub::replay_loop() {
  std::unique_lock lock(replay_mu_);
  for (;;) {
    replay_cv_.wait(lock, [this] { return replay_stop_ || !replay_jobs_.empty(); });
    if (replay_stop_) return;
    ReplayJob job = std::move(replay_jobs_.front());
    replay_jobs_.pop_front();
    const bool waiting = job.stats->queued.load(Metrics::relaxed) > kReplayQueueLow;
    if (waiting) {
      // The client has not read the last page yet: serve the others first.
      replay_jobs_.push_back(std::move(job));
      replay_cv_.wait_for(lock, std::chrono::milliseconds(5), [this] { return replay_stop_; });
      continue;
    }
    lock.unlock();
    ReplayPage page = log_.replay(
        job.after, job.up_to, [&job](const Event& e) { return job.subscription.accepts(e); },
        kReplayPage);
    metrics_.replayed_events.fetch_add(page.events.size(), Metrics::relaxed);
    bool open = false;
    {
      std::lock_guard hub_lock(mu_);
      auto it = entries_.find(job.id);
      if (it != entries_.end()) {
        open = true;
        loops_[it->second.loop]->post_replay(job.id, std::move(page.events), page.finished);
      }
    }
    lock.lock();
    if (open && !page.finished) {
      job.after = page.next_after;
      replay_jobs_.push_back(std::move(job));
    }
  }
}

void Hub::connect(StreamId id, Poco::Net::StreamSocket socket) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) loops_[it->second.loop]->post_connect(id, std::move(socket));
}

void Hub::abandon(StreamId id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) loops_[it->second.loop]->post_close(id, CloseReason::kClientGone);
}

void Hub::on_closed(StreamId id, CloseReason /*reason*/) {
  std::optional<Entry> closed;
  bool last_in_room = false;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    closed.emplace(std::move(it->second));
    entries_.erase(it);
    --open_by_channel_[static_cast<size_t>(closed->subscription.channel)];
    const Subscription& sub = closed->subscription;
    if (sub.channel == Channel::kChat && !sub.room.empty()) {
      auto p = presence_.find(presence_key(sub.room, sub.user_id));
      if (p != presence_.end() && --p->second == 0) {
        presence_.erase(p);
        last_in_room = true;
      }
    }
  }
  closed->ticket.release();
  if (last_in_room && !shutting_down_)
    announce_presence(closed->subscription, closed->owner, false);
}

void Hub::announce_presence(const Subscription& sub, const StreamOwner& owner, bool joined) {
  EventDraft draft;
  draft.channel = Channel::kChat;
  draft.type = joined ? "user-joined" : "user-left";
  draft.audience.room = sub.room;
  draft.render_data = [room = sub.room, owner](EventId id, int64_t time_ms) {
    return fmt::format(
        R"({{"id":"{}","roomId":{},"userId":{},"username":{},"message":"","timestamp":"{}"}})", id,
        json_quote(room), json_quote(owner.user_id), json_quote(owner.username),
        format_iso8601_ms(time_ms));
  };
  // Not waited for: this runs on writer-loop and worker threads, which must
  // not wait for a durable log's commit.
  append_and_route(draft, nullptr);
}

std::vector<StreamSnapshot> Hub::streams() const {
  std::vector<StreamSnapshot> out;
  std::lock_guard lock(mu_);
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) {
    out.push_back({id, entry.owner, entry.subscription.channel, entry.subscription.room,
                   entry.connected_at_ms, entry.stats->last_event_id.load(),
                   entry.stats->events_sent.load(), entry.stats->bytes_sent.load(),
                   entry.stats->queued.load()});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

bool Hub::kick(StreamId id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  loops_[it->second.loop]->post_close(id, CloseReason::kKicked);
  return true;
}

std::array<uint64_t, kChannelCount> Hub::open_streams() const {
  std::lock_guard lock(mu_);
  return open_by_channel_;
}

uint64_t Hub::open_total() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void Hub::shutdown(const std::string& farewell, int64_t deadline_steady_ms) {
  shutting_down_ = true;
  // Every loop gets the farewell at once; then wait for each to finish.
  std::vector<std::thread> drains;
  for (auto& loop : loops_) {
    drains.emplace_back([&loop, &farewell, deadline_steady_ms] {
      loop->drain_and_stop(farewell, deadline_steady_ms);
    });
  }
  for (auto& t : drains) t.join();
}

}  // namespace sse
