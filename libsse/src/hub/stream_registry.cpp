#include "hub/stream_registry.hpp"

#include <algorithm>
#include <utility>

#include "sse/wire/encoder.hpp"

namespace sse::detail {

StreamRegistry::StreamRegistry(std::vector<WriterLoop*> loops, EventId routed_up_to,
                               StreamId first_id)
    : loops_(std::move(loops)),
      targets_(loops_.size()),
      routed_up_to_(routed_up_to),
      next_id_(first_id) {}

Result<StreamRegistry::Added> StreamRegistry::add(StreamRequest request, int64_t now_ms) {
  Added added;
  added.stats = std::make_shared<StreamStats>();

  std::lock_guard lock(mu_);
  if (refusing_) return Error::unavailable("the server is shutting down");
  const StreamId id = next_id_;
  const bool placed = request.loop >= 0;
  const size_t loop = (placed ? static_cast<size_t>(request.loop) : next_loop_) % loops_.size();
  if (!loops_[loop]->post_add(
          NewStream{id, std::move(request.preamble), request.expires_at_ms, added.stats})) {
    return Error::unavailable("the server is shutting down");
  }
  ++next_id_;
  if (!placed) ++next_loop_;
  added.id = id;
  Entry& entry = entries_.try_emplace(id).first->second;
  entry.id = id;
  entry.loop = static_cast<uint32_t>(loop);
  entry.subscription = std::move(request.subscription);
  entry.username = std::move(request.owner.username);
  entry.remote_address = std::move(request.owner.remote_address);
  entry.connected_at_ms = now_ms;
  entry.stats = added.stats;
  entry.ticket = std::move(request.ticket);
  if (request.resume_after) {
    // An id above every routed one is from another life of the log (a
    // memory log before a restart): everything held now is news to it.
    added.replay_after = *request.resume_after > routed_up_to_ ? 0 : *request.resume_after;
    entry.stats->last_event_id = *request.resume_after;
    entry.live = false;
  }
  ++open_by_channel_[static_cast<size_t>(entry.subscription.channel)];
  index_.insert(&entry);
  return added;
}

void StreamRegistry::refuse_new() {
  std::lock_guard lock(mu_);
  refusing_ = true;
}

size_t StreamRegistry::route(const EventPtr& event) {
  std::lock_guard lock(mu_);
  routed_up_to_ = event->id;
  if (index_.size() == 0) return 0;  // nobody listens: nothing to collect
  // Each list leaves with its post, so they are empty here, unless a post
  // threw last time.
  for (auto& ids : targets_) ids.clear();
  index_.collect(*event, targets_);
  size_t delivered = 0;
  for (size_t i = 0; i < loops_.size(); ++i) {
    if (targets_[i].empty()) continue;
    const size_t count = targets_[i].size();
    if (loops_[i]->post_deliver(event, std::exchange(targets_[i], {}))) delivered += count;
  }
  return delivered;
}

EventId StreamRegistry::routed_up_to() const {
  std::lock_guard lock(mu_);
  return routed_up_to_;
}

StreamRegistry::ReplayFed StreamRegistry::feed_replay(StreamId id, ReplayPage page) {
  std::lock_guard lock(mu_);
  Entry* entry = find(id);
  if (!entry) return ReplayFed::kGone;
  // Caught up with routing, decided under the lock routing takes: once this
  // page is posted the stream is live, and every earlier event came by
  // replay. The caught-up comment goes with the page, so the loop queues it
  // after the last replayed event and before the first live one, which
  // route() can post only after this step.
  const bool caught_up = page.finished && page.next_after >= routed_up_to_;
  // Counted before the post: the loop subtracts it when it queues the page.
  const size_t count = page.events.size();
  uint64_t bytes = caught_up ? wire::kCaughtUpFrame.size() : 0;
  for (const auto& event : page.events) bytes += event->wire.size();
  entry->stats->replay_in_flight.fetch_add(count, std::memory_order_relaxed);
  entry->stats->replay_in_flight_bytes.fetch_add(bytes, std::memory_order_relaxed);
  if (!loops_[entry->loop]->post_replay(id, std::move(page.events), caught_up)) {
    entry->stats->replay_in_flight.fetch_sub(count, std::memory_order_relaxed);
    entry->stats->replay_in_flight_bytes.fetch_sub(bytes, std::memory_order_relaxed);
    return ReplayFed::kGone;  // its loop has stopped: it is being closed
  }
  if (!caught_up) return ReplayFed::kMore;
  entry->live = true;
  return ReplayFed::kLive;
}

bool StreamRegistry::connect(StreamId id, SocketFd socket) {
  std::lock_guard lock(mu_);
  Entry* entry = find(id);
  // Not registered: the socket closes as it goes out of scope; a stopped
  // loop closes it with the refused command.
  return entry && loops_[entry->loop]->post_connect(id, std::move(socket));
}

bool StreamRegistry::close(StreamId id, CloseReason reason) {
  std::lock_guard lock(mu_);
  Entry* entry = find(id);
  if (!entry) return false;
  loops_[entry->loop]->post_close(id, reason);
  return true;
}

std::optional<StreamRegistry::Retired> StreamRegistry::retire(StreamId id) {
  return take(id, false);
}

std::optional<StreamRegistry::Retired> StreamRegistry::abandon(StreamId id) {
  return take(id, true);
}

std::optional<StreamRegistry::Retired> StreamRegistry::take(StreamId id, bool drop_from_loop) {
  decltype(entries_)::node_type node;  // the entry, out of the map; freed after the lock
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    Entry& entry = it->second;
    index_.erase(&entry);
    --open_by_channel_[static_cast<size_t>(entry.subscription.channel)];
    if (drop_from_loop) loops_[entry.loop]->post_close(id, CloseReason::kClientGone);
    node = entries_.extract(it);
  }
  Entry& entry = node.mapped();
  StreamOwner owner = entry.owner();
  return Retired{std::move(entry.subscription), std::move(owner), std::move(entry.ticket)};
}

StreamRegistry::Entry* StreamRegistry::find(StreamId id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<StreamSnapshot> StreamRegistry::snapshots() const {
  std::vector<StreamSnapshot> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(entries_.size());
    for (const auto& [id, entry] : entries_) {
      const StreamStats& stats = *entry.stats;
      out.push_back({id, entry.owner(), entry.subscription.channel, entry.subscription.room,
                     entry.connected_at_ms, stats.last_event_id.load(), stats.events_sent.load(),
                     stats.bytes_sent.load(), stats.queued.load(), stats.queued_bytes.load()});
    }
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

std::array<uint64_t, kChannelCount> StreamRegistry::open_by_channel() const {
  std::lock_guard lock(mu_);
  return open_by_channel_;
}

uint64_t StreamRegistry::queued_total() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (const auto& [id, entry] : entries_) {
    total += entry.stats->queued.load(std::memory_order_relaxed);
  }
  return total;
}

}  // namespace sse::detail
