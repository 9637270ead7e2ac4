#include "sse/hub/hub.hpp"

#include <fmt/format.h>

#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse {
namespace {

std::string presence_key(const std::string& room, const std::string& user) {
  return room + '\n' + user;
}

}  // namespace

Hub::Hub(HubSettings settings, EventLog& log, Metrics& metrics, const Clock& clock)
    : log_(log), metrics_(metrics), clock_(clock) {
  const size_t count = std::max<size_t>(settings.writer_threads, 1);
  for (size_t i = 0; i < count; ++i) {
    loops_.push_back(std::make_unique<WriterLoop>(
        settings.writer, clock, metrics,
        [this](StreamId id, CloseReason reason) { on_closed(id, reason); }));
  }
}

Hub::~Hub() {
  shutting_down_ = true;
  loops_.clear();
}

Result<Hub::Published> Hub::publish(const EventDraft& draft) {
  if (shutting_down_) return make_error("the server is shutting down");
  std::vector<std::vector<StreamId>> targets(loops_.size());
  Published published;
  {
    std::lock_guard lock(mu_);
    auto appended = log_.append(draft);
    if (!appended) return appended.error();
    published.event = std::move(*appended);
    const Event& event = *published.event;
    for (const auto& [id, entry] : entries_) {
      if (entry.subscription.accepts(event)) targets[entry.loop].push_back(id);
    }
    for (size_t i = 0; i < loops_.size(); ++i) {
      if (targets[i].empty()) continue;
      published.delivered += targets[i].size();
      loops_[i]->post_deliver(published.event, std::move(targets[i]));
    }
  }
  metrics_.events_published[static_cast<size_t>(draft.channel)].fetch_add(1, Metrics::relaxed);
  return published;
}

StreamId Hub::attach(StreamRequest request) {
  StreamId id;
  EventId head = 0;
  Subscription subscription = request.subscription;
  const bool first_in_room = [&] {
    std::lock_guard lock(mu_);
    id = next_id_++;
    head = log_.head();
    const size_t loop = next_loop_++ % loops_.size();
    auto stats = std::make_shared<StreamStats>();
    stats->last_event_id = request.resume_after.value_or(0);
    Entry entry{request.subscription, request.owner, loop,
                clock_.now_ms(),      stats,         std::move(request.ticket)};
    const Channel channel = entry.subscription.channel;
    entries_.emplace(id, std::move(entry));
    ++open_by_channel_[static_cast<size_t>(channel)];
    loops_[loop]->post_add(NewStream{id, std::move(request.preamble),
                                     request.resume_after.has_value(), request.expires_at_ms,
                                     stats});
    if (channel != Channel::kChat || subscription.room.empty()) return false;
    return ++presence_[presence_key(subscription.room, subscription.user_id)] == 1;
  }();
  metrics_.streams_opened[static_cast<size_t>(subscription.channel)].fetch_add(1, Metrics::relaxed);

  if (request.resume_after) {
    const EventId after = *request.resume_after;
    ReplayResult replayed =
        log_.replay(after, head, [&](const Event& e) { return subscription.accepts(e); });
    metrics_.replays.fetch_add(1, Metrics::relaxed);
    if (!replayed.complete) metrics_.replays_incomplete.fetch_add(1, Metrics::relaxed);
    metrics_.replayed_events.fetch_add(replayed.events.size(), Metrics::relaxed);
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end()) loops_[it->second.loop]->post_replay(id, std::move(replayed.events));
  }
  if (first_in_room) announce_presence(subscription, request.owner, true);
  return id;
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
  (void)publish(draft);
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
