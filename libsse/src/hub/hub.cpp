#include "sse/hub/hub.hpp"

#include <algorithm>
#include <future>
#include <optional>
#include <thread>

#include "hub/append_gate.hpp"
#include "hub/chat_presence.hpp"
#include "hub/feed_acks.hpp"
#include "hub/replay_scheduler.hpp"
#include "hub/stream_registry.hpp"
#include "sse/event/payloads.hpp"

namespace sse {

Result<std::unique_ptr<Hub>> Hub::create(HubOptions settings, EventLog& log, Metrics& metrics,
                                         const Clock& clock) {
  std::unique_ptr<Hub> hub(new Hub(log, metrics, clock));
  if (Status started = hub->start(settings); !started) return started.error();
  return hub;
}

Hub::Hub(EventLog& log, Metrics& metrics, const Clock& clock)
    : log_(log),
      metrics_(metrics),
      clock_(clock),
      appends_(std::make_unique<detail::AppendGate>()),
      presence_(std::make_unique<detail::ChatPresence>()) {}

Status Hub::start(const HubOptions& settings) {
  const size_t count = std::max<size_t>(settings.writer_threads, 1);
  std::vector<WriterLoop*> loops;
  for (size_t i = 0; i < count; ++i) {
    auto loop = WriterLoop::create(settings.writer, clock_, metrics_,
                                   [this](StreamId id, CloseReason) { on_closed(id); });
    if (!loop) return loop.error();
    loops.push_back(loop->get());
    loops_.push_back(std::move(*loop));
  }
  const EventId head = log_.head();
  registry_ =
      std::make_unique<detail::StreamRegistry>(std::move(loops), head, settings.first_stream_id);
  feed_catch_up_ms_ = settings.feed_catch_up_ms;
  on_streams_changed_ = settings.on_streams_changed;
  detail::ReplayBudget budget;
  if (settings.writer.max_queued_bytes > 0) budget.stream_bytes = settings.writer.max_queued_bytes;
  budget.total_bytes = settings.max_queued_bytes_total;
  budget.queued_total = [this] { return queued_bytes_total(); };
  replays_ = std::make_unique<detail::ReplayScheduler>(log_, *registry_, metrics_, budget);
  if (Status started = replays_->start(); !started) return started;
  if (log_.shared()) {
    feed_acks_ = std::make_unique<detail::FeedAcks>(head);
    log_.start_feed([this](const EventPtr& event) { on_feed(event); });
  }
  return {};
}

Hub::~Hub() {
  appends_->close();
  if (registry_) registry_->refuse_new();
  stop_feed(0);
  appends_->wait_idle();
  if (replays_) replays_->stop();
  loops_.clear();  // closes what is left; on_closed still finds the registry
}

bool Hub::append_and_route(const EventDraft& draft, std::function<void(Result<Published>)> done) {
  if (!appends_->enter()) return false;  // refused and counted in one step
  if (feed_acks_) {
    // Routed by the feed; answered when it has been (FeedAcks).
    auto acknowledged = [this, channel = draft.channel,
                         done = std::move(done)](Result<EventPtr> appended) mutable {
      if (!appended) {
        if (done) done(appended.error());
        return appends_->leave();
      }
      metrics_.events_published[static_cast<size_t>(channel)].fetch_add(1, Metrics::relaxed);
      feed_acks_->acknowledged(std::move(*appended),
                               [this, done = std::move(done)](EventPtr event, size_t delivered) {
                                 if (done) done(Published{std::move(event), delivered});
                                 appends_->leave();
                               });
    };
    log_.append(draft, std::move(acknowledged));
    return true;
  }
  // Routed in the log's callback (in id order, under its lock); answered
  // there too, unless the log calls back before append() returns: then the
  // answer waits until the log's lock is released.
  auto route = [this, channel = draft.channel](Result<EventPtr> appended) -> Result<Published> {
    if (!appended) return appended.error();
    Published published{std::move(*appended), 0};
    published.delivered = registry_->route(published.event);
    metrics_.events_published[static_cast<size_t>(channel)].fetch_add(1, Metrics::relaxed);
    return published;
  };
  if (log_.appends_inline()) {
    const detail::AppendLeaver leave(*appends_);
    std::optional<Result<Published>> outcome;
    log_.append(draft, [&](Result<EventPtr> appended) { outcome = route(std::move(appended)); });
    if (!outcome) outcome = Result<Published>(Error::internal("the log did not call back"));
    if (done) done(std::move(*outcome));
    return true;
  }
  log_.append(draft, [route, done = std::move(done), this](Result<EventPtr> appended) {
    const detail::AppendLeaver leave(*appends_);
    Result<Published> outcome = route(std::move(appended));
    if (done) done(std::move(outcome));
  });
  return true;
}

Result<Hub::Published> Hub::publish(const EventDraft& draft) {
  std::promise<Result<Published>> outcome;
  auto future = outcome.get_future();
  const bool started = append_and_route(
      draft, [&outcome](Result<Published> result) { outcome.set_value(std::move(result)); });
  if (!started) return Error::unavailable("the server is shutting down");
  return future.get();
}

bool Hub::publish_async(const EventDraft& draft, std::function<void(Result<Published>)> done) {
  return append_and_route(draft, std::move(done));
}

void Hub::on_feed(const EventPtr& event) {
  const size_t delivered = registry_->route(event);
  feed_acks_->routed(event->id, delivered);
}

Status Hub::catch_up(EventId after) {
  if (!feed_acks_ || after <= registry_->routed_up_to()) return {};
  // An id above every one the log gave out is from another life of the log
  // (the registry replays it everything held); one below is only late here.
  auto newest = log_.newest_id();
  if (!newest) return newest.error();
  if (after > *newest) return {};
  if (feed_acks_->wait_routed(after, feed_catch_up_ms_)) return {};
  return Error::unavailable("this node has not yet caught up with the event log; retry");
}

void Hub::stop_feed(int64_t wait_ms) {
  if (!feed_acks_) return;
  if (wait_ms > 0) (void)appends_->wait_idle_for(wait_ms);
  log_.stop_feed();
  feed_acks_->flush();
}

Result<PendingStream> Hub::open(StreamRequest request) {
  const Subscription subscription = request.subscription;
  const StreamOwner owner = request.owner;
  const std::optional<EventId> resume_after = request.resume_after;
  if (resume_after) {
    // A replay the log cannot read now would end the stream at once.
    if (!log_.available()) return Error::unavailable("the event log cannot be read now; retry");
    if (Status caught_up = catch_up(*resume_after); !caught_up) return caught_up.error();
  }
  // Counted in before the stream exists, so that no close can count it out
  // first.
  const bool first_in_room = presence_->enter(subscription);
  auto added = registry_->add(std::move(request), clock_.now_ms());
  if (!added) {
    presence_->leave(subscription);
    return added.error();
  }
  metrics_.streams_opened[static_cast<size_t>(subscription.channel)].fetch_add(1, Metrics::relaxed);
  bool replay_complete = true;
  if (added->replay_after) {
    replay_complete = log_.covers(*resume_after);
    metrics_.replays.fetch_add(1, Metrics::relaxed);
    if (!replay_complete) metrics_.replays_incomplete.fetch_add(1, Metrics::relaxed);
    replays_->schedule({added->id, subscription, *added->replay_after, added->stats});
  }
  if (first_in_room) announce_presence(subscription, owner, true);
  if (on_streams_changed_) on_streams_changed_();
  return PendingStream(this, added->id, replay_complete);
}

void Hub::connect(StreamId id, SocketFd socket) { registry_->connect(id, std::move(socket)); }

void Hub::abandon(StreamId id) {
  if (auto retired = registry_->abandon(id)) {
    let_go(retired->subscription, retired->owner, retired->ticket);
  }
}

void Hub::on_closed(StreamId id) {
  if (!registry_) return;
  if (auto retired = registry_->retire(id)) {
    let_go(retired->subscription, retired->owner, retired->ticket);
  }
}

void Hub::let_go(const Subscription& subscription, const StreamOwner& owner,
                 ConnectionLimiter::Ticket& ticket) {
  ticket.release();
  if (presence_->leave(subscription)) announce_presence(subscription, owner, false);
  if (on_streams_changed_) on_streams_changed_();
}

void Hub::announce_presence(const Subscription& subscription, const StreamOwner& owner,
                            bool joined) {
  // Not waited for: this runs on writer-loop and handler threads, which must
  // not wait for a durable log's commit. Refused once shutdown has begun.
  (void)append_and_route(chat_event(joined ? "user-joined" : "user-left", subscription.room,
                                    {owner.user_id, owner.username}, ""),
                         nullptr);
}

std::vector<WriterLoop*> Hub::loops() const {
  std::vector<WriterLoop*> out;
  for (const auto& loop : loops_) out.push_back(loop.get());
  return out;
}

std::vector<StreamSnapshot> Hub::streams() const { return registry_->snapshots(); }

bool Hub::kick(StreamId id) { return registry_->close(id, CloseReason::kKicked); }

std::array<uint64_t, kChannelCount> Hub::open_streams() const {
  return registry_->open_by_channel();
}

EventId Hub::last_event_id() const { return registry_->routed_up_to(); }

uint64_t Hub::queued_total() const { return registry_->queued_total(); }

uint64_t Hub::queued_bytes_total() const {
  uint64_t total = 0;
  for (const auto& loop : loops_) total += loop->queued_bytes();
  return total;
}

void Hub::shutdown(const std::string& farewell, int64_t deadline_steady_ms) {
  // Refuse publishes (presence announcements too), then streams; then let
  // what was acknowledged reach its streams before the farewell.
  appends_->close();
  registry_->refuse_new();
  // A shared log's acknowledged publishes come back through the feed: give
  // it a moment, then end it.
  stop_feed(2000);
  appends_->wait_idle();
  replays_->stop();  // a page after the farewell would be dropped anyway
  std::vector<std::thread> drains;
  for (auto& loop : loops_) {
    drains.emplace_back([&loop, &farewell, deadline_steady_ms] {
      loop->drain_and_stop(farewell, deadline_steady_ms);
    });
  }
  for (auto& t : drains) t.join();
}

// PendingStream: the handle's two ways out.

PendingStream& PendingStream::operator=(PendingStream&& other) noexcept {
  if (this != &other) {
    if (hub_) hub_->abandon(id_);
    hub_ = std::exchange(other.hub_, nullptr);
    id_ = other.id_;
    replay_complete_ = other.replay_complete_;
  }
  return *this;
}

PendingStream::~PendingStream() {
  if (hub_) hub_->abandon(id_);
}

StreamId PendingStream::release() && {
  hub_ = nullptr;
  return id_;
}

void PendingStream::connect(Poco::Net::StreamSocket socket) && {
  // Taken here, on the thread that owns the request's connection: Poco keeps
  // no descriptor, and frees its SocketImpl when the connection ends.
  SocketFd taken = SocketFd::take(socket);
  Hub* hub = std::exchange(hub_, nullptr);
  if (hub) hub->connect(id_, std::move(taken));  // else the socket closes with `taken`
}

}  // namespace sse
