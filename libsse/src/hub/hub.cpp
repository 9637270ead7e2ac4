#include "sse/hub/hub.hpp"

#include <algorithm>
#include <future>

#include "sse/event/payloads.hpp"

namespace sse {
namespace {

constexpr size_t kReplayPage = 256;
// A replaying stream gets its next page once its queue is below this.
constexpr uint64_t kReplayQueueLow = 2 * kReplayPage;
// How long the replay thread rests when no replaying stream can take a page.
constexpr auto kReplayIdle = std::chrono::milliseconds(5);

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
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  wait_for_appends();
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
    if (!entry.replaying && entry.subscription.accepts(*event)) targets[entry.loop].push_back(id);
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
  {
    std::lock_guard lock(flight_mu_);
    ++appends_in_flight_;
  }
  auto finished = [this, channel = draft.channel,
                   done = std::move(done)](Result<EventPtr> appended) {
    if (appended) {
      Published published{std::move(*appended), 0};
      {
        std::lock_guard lock(mu_);
        published.delivered = route(published.event);
      }
      metrics_.events_published[static_cast<size_t>(channel)].fetch_add(1, Metrics::relaxed);
      if (done) done(std::move(published));
    } else if (done) {
      done(appended.error());
    }
    std::lock_guard lock(flight_mu_);
    if (--appends_in_flight_ == 0) flight_cv_.notify_all();
  };
  log_.append(draft, std::move(finished));
}

void Hub::wait_for_appends() {
  std::unique_lock lock(flight_mu_);
  flight_cv_.wait(lock, [this] { return appends_in_flight_ == 0; });
}

Result<Hub::Published> Hub::publish(const EventDraft& draft) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return Error::unavailable("the server is shutting down");
  }
  std::promise<Result<Published>> outcome;
  auto future = outcome.get_future();
  append_and_route(draft,
                   [&outcome](Result<Published> result) { outcome.set_value(std::move(result)); });
  return future.get();
}

Result<Attached> Hub::attach(StreamRequest request) {
  const Subscription subscription = request.subscription;
  const StreamOwner owner = request.owner;
  auto stats = std::make_shared<StreamStats>();
  Attached attached;
  EventId replay_after = 0;
  bool first_in_room = false;
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return Error::unavailable("the server is shutting down");
    const StreamId id = next_id_;
    const size_t loop = next_loop_ % loops_.size();
    if (!loops_[loop]->post_add(
            NewStream{id, std::move(request.preamble), request.expires_at_ms, stats})) {
      return Error::unavailable("the server is shutting down");
    }
    ++next_id_;
    ++next_loop_;
    attached.id = id;
    if (request.resume_after) {
      // An id above every routed one is from another life of the log (a
      // memory log before a restart): everything held now is news to it.
      replay_after = *request.resume_after > last_routed_ ? 0 : *request.resume_after;
      stats->last_event_id = *request.resume_after;
    }
    Entry entry{subscription,
                owner,
                loop,
                clock_.now_ms(),
                stats,
                std::move(request.ticket),
                request.resume_after.has_value()};
    entries_.emplace(id, std::move(entry));
    ++open_by_channel_[static_cast<size_t>(subscription.channel)];
    if (subscription.channel == Channel::kChat && !subscription.room.empty()) {
      first_in_room = ++presence_[presence_key(subscription.room, subscription.user_id)] == 1;
    }
  }
  metrics_.streams_opened[static_cast<size_t>(subscription.channel)].fetch_add(1, Metrics::relaxed);
  if (request.resume_after) {
    attached.replay_complete = log_.covers(*request.resume_after);
    metrics_.replays.fetch_add(1, Metrics::relaxed);
    if (!attached.replay_complete) metrics_.replays_incomplete.fetch_add(1, Metrics::relaxed);
    {
      std::lock_guard lock(replay_mu_);
      replay_jobs_.push_back({attached.id, subscription, replay_after, stats});
    }
    replay_cv_.notify_one();
  }
  if (first_in_room) announce_presence(subscription, owner, true);
  return attached;
}

void Hub::replay_loop() {
  std::unique_lock lock(replay_mu_);
  for (;;) {
    replay_cv_.wait(lock, [this] { return replay_stop_ || !replay_jobs_.empty(); });
    // One pass over the jobs: a page for each stream that has room for one.
    bool progressed = false;
    for (size_t n = replay_jobs_.size(); n > 0 && !replay_stop_; --n) {
      ReplayJob job = std::move(replay_jobs_.front());
      replay_jobs_.pop_front();
      const uint64_t waiting = job.stats->queued.load(Metrics::relaxed) +
                               job.stats->replay_in_flight.load(Metrics::relaxed);
      if (waiting > kReplayQueueLow) {
        replay_jobs_.push_back(std::move(job));  // its client has not read the last page yet
        continue;
      }
      progressed = true;
      lock.unlock();
      const bool more = replay_step(job);
      lock.lock();
      if (more) replay_jobs_.push_back(std::move(job));
    }
    if (replay_stop_) return;
    if (!progressed) replay_cv_.wait_for(lock, kReplayIdle, [this] { return replay_stop_; });
  }
}

bool Hub::replay_step(ReplayJob& job) {
  EventId up_to;
  {
    std::lock_guard lock(mu_);
    up_to = last_routed_;
  }
  Result<ReplayPage> page = log_.replay(
      job.after, up_to, [&job](const Event& e) { return job.subscription.accepts(e); },
      kReplayPage);
  std::lock_guard lock(mu_);
  auto it = entries_.find(job.id);
  if (it == entries_.end()) return false;  // closed meanwhile
  if (!page) {
    // The client reconnects and tries again; nothing was skipped.
    loops_[it->second.loop]->post_close(job.id, CloseReason::kServerError);
    return false;
  }
  metrics_.replayed_events.fetch_add(page->events.size(), Metrics::relaxed);
  job.stats->replay_in_flight.fetch_add(page->events.size(), Metrics::relaxed);
  loops_[it->second.loop]->post_replay(job.id, std::move(page->events));
  job.after = page->next_after;
  // Caught up with routing, under the lock that routing takes: from here on
  // the stream is live, and every earlier event came by replay.
  if (page->finished && job.after >= last_routed_) {
    it->second.replaying = false;
    return false;
  }
  return true;
}

void Hub::connect(StreamId id, Poco::Net::StreamSocket socket) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || !loops_[it->second.loop]->post_connect(id, socket)) socket.close();
}

void Hub::abandon(StreamId id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it != entries_.end()) loops_[it->second.loop]->post_close(id, CloseReason::kClientGone);
}

void Hub::on_closed(StreamId id, CloseReason /*reason*/) {
  std::optional<Entry> closed;
  bool last_in_room = false;
  bool shutting_down = false;
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
    shutting_down = shutting_down_;
  }
  closed->ticket.release();
  if (last_in_room && !shutting_down) announce_presence(closed->subscription, closed->owner, false);
}

void Hub::announce_presence(const Subscription& sub, const StreamOwner& owner, bool joined) {
  // Not waited for: this runs on writer-loop and worker threads, which must
  // not wait for a durable log's commit.
  append_and_route(chat_event(joined ? "user-joined" : "user-left", sub.room,
                              {owner.user_id, owner.username}, ""),
                   nullptr);
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

uint64_t Hub::queued_total() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (const auto& [id, entry] : entries_) total += entry.stats->queued.load(Metrics::relaxed);
  return total;
}

void Hub::shutdown(const std::string& farewell, int64_t deadline_steady_ms) {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  wait_for_appends();  // what was acknowledged goes out before the farewell
  std::vector<std::thread> drains;
  for (auto& loop : loops_) {
    drains.emplace_back([&loop, &farewell, deadline_steady_ms] {
      loop->drain_and_stop(farewell, deadline_steady_ms);
    });
  }
  for (auto& t : drains) t.join();
}

}  // namespace sse
