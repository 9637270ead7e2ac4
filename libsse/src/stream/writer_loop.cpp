#include "sse/stream/writer_loop.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "sse/util/time_format.hpp"
#include "sse/wire/encoder.hpp"
#include "stream/stream_state.hpp"

namespace sse {
namespace {

using detail::Bytes;
using detail::Chunk;
using detail::wire_of;

constexpr uint64_t kWakeToken = 0;  // epoll tag of the wake-up eventfd; stream ids start at 1
constexpr uint64_t kGuestBit = uint64_t{1}
                               << 63;  // set in the epoll tags of the guest's descriptors
constexpr int64_t kMaxScanIntervalMs = 1000;

// One copy, shared by every stream that catches up.
Bytes caught_up_frame() {
  static const Bytes frame = std::make_shared<const std::string>(wire::kCaughtUpFrame);
  return frame;
}

std::string heartbeat_frame(int64_t now_ms) {
  std::string out;
  const std::string data = fmt::format("{{\"timestamp\":\"{}\"}}", format_iso8601_ms(now_ms));
  (void)wire::append_event(out, {"", "heartbeat", data});
  return out;
}

// Out of descriptors, memory or threads: may work later. Anything else is a
// broken invariant.
Error start_error(std::string_view what, int error) {
  std::string message = fmt::format("writer loop: {}: {}", what, std::strerror(error));
  if (error == EMFILE || error == ENFILE || error == ENOMEM || error == EAGAIN) {
    return Error::unavailable(std::move(message));
  }
  return Error::internal(std::move(message));
}

// Non-blocking, and no Nagle delay: an event goes out when it is written.
// False when the descriptor is not (or no longer) a socket.
bool make_stream_socket(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return false;
  const int one = 1;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

}  // namespace

Result<std::unique_ptr<WriterLoop>> WriterLoop::create(WriterOptions settings, const Clock& clock,
                                                       Metrics& metrics, ClosedCallback on_closed) {
  std::unique_ptr<WriterLoop> loop(new WriterLoop(settings, clock, metrics, std::move(on_closed)));
  if (Status started = loop->start(); !started) return started.error();
  return loop;
}

WriterLoop::WriterLoop(WriterOptions settings, const Clock& clock, Metrics& metrics,
                       ClosedCallback on_closed)
    : settings_(settings), clock_(clock), metrics_(metrics), on_closed_(std::move(on_closed)) {}

Status WriterLoop::start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return start_error("epoll_create1", errno);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return start_error("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return start_error("epoll_ctl", errno);
  }
  const int64_t now = clock_.steady_ms();
  next_heartbeat_ms_ = now + settings_.heartbeat_interval_ms;
  next_scan_ms_ = now + kMaxScanIntervalMs;
  clock_watch_ = clock_.watch([this] {
    time_moved_.store(true);
    wake();
  });
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return start_error("thread", e.code().value());
  }
  return {};
}

WriterLoop::~WriterLoop() {
  if (thread_.joinable()) {
    post(Drain{"", clock_.steady_ms()});
    thread_.join();
  }
  clock_watch_.reset();  // before the eventfd it writes to goes
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void WriterLoop::wake() {
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

bool WriterLoop::post(Command command) {
  bool wake_up = false;
  {
    std::lock_guard lock(inbox_mu_);
    if (stopped_) return false;
    wake_up = inbox_.empty();
    inbox_.push_back(std::move(command));
  }
  if (wake_up) wake();
  return true;
}

bool WriterLoop::post_add(NewStream stream) { return post(std::move(stream)); }
bool WriterLoop::post_connect(StreamId id, SocketFd socket) {
  return post(Connect{id, std::move(socket)});  // refused: the command, and the socket, go
}
bool WriterLoop::post_deliver(EventPtr event, std::vector<StreamId> targets) {
  return post(Deliver{std::move(event), std::move(targets)});
}
bool WriterLoop::post_replay(StreamId id, std::vector<EventPtr> events, bool caught_up) {
  return post(Replay{id, std::move(events), caught_up});
}
bool WriterLoop::post_close(StreamId id, CloseReason reason) { return post(Close{id, reason}); }
bool WriterLoop::post_task(std::function<void()> task) { return post(Task(std::move(task))); }

bool WriterLoop::watch(int fd, uint64_t tag, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag | kGuestBit;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool WriterLoop::rewatch(int fd, uint64_t tag, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag | kGuestBit;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void WriterLoop::unwatch(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void WriterLoop::adopt_stream(StreamId id, SocketFd socket, std::string head) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;  // closed before it opened: the socket goes
  Stream& stream = *it->second;
  // Before the preamble and whatever was routed or replayed meanwhile; the
  // stream has had no socket, so nothing of its queue is written yet.
  loop_queued_bytes_ += head.size();
  stream.push({std::make_shared<const std::string>(std::move(head)), 0, false}, /*front=*/true);
  attach_socket(stream, std::move(socket));
}

void WriterLoop::drain_and_stop(std::string farewell, int64_t deadline_steady_ms) {
  post(Drain{std::move(farewell), deadline_steady_ms});
  if (thread_.joinable()) thread_.join();
}

void WriterLoop::run() {
  thread_id_.store(std::this_thread::get_id());
  std::array<epoll_event, 256> ready;
  std::vector<Command> commands;
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, ready.data(), ready.size(), next_timeout_ms());
    for (int i = 0; i < n; ++i) handle_ready(ready[i].data.u64, ready[i].events);
    {
      std::lock_guard lock(inbox_mu_);
      commands.swap(inbox_);
    }
    apply_inbox(commands);
    // Written before the timers look at queues: a stream that just got its
    // socket (or a page) is judged on what it did not take, not on what it
    // was never offered.
    flush_dirty();
    on_timers();
    flush_dirty();
    if (guest_) guest_next_ms_ = guest_->on_tick(clock_.steady_ms());
    queued_bytes_.store(loop_queued_bytes_, std::memory_order_relaxed);
    if (draining_) {
      const bool idle = streams_.empty() && (!guest_ || guest_->drained());
      if (idle || clock_.steady_ms() >= drain_deadline_ms_) break;
    }
  }
  finish();
}

void WriterLoop::handle_ready(uint64_t tag, uint32_t events) {
  if (tag == kWakeToken) {
    uint64_t count;
    (void)!::read(wake_fd_, &count, sizeof count);
    return;
  }
  if (tag & kGuestBit) {
    if (guest_) guest_->on_ready(tag & ~kGuestBit, events);
    return;
  }
  auto it = streams_.find(tag);
  if (it == streams_.end()) return;
  Stream& stream = *it->second;
  if (events & (EPOLLERR | EPOLLHUP)) return close_stream(stream.id, CloseReason::kClientGone);
  if (events & (EPOLLIN | EPOLLRDHUP)) {
    on_readable(stream);
    if (!streams_.count(tag)) return;
  }
  if (events & EPOLLOUT) flush(stream);
}

void WriterLoop::apply_inbox(std::vector<Command>& commands) {
  for (auto& command : commands) apply(command);
  commands.clear();
}

// Stops taking commands, then closes everything: streams added by commands
// that were still waiting are closed (and reported) too, so no owner waits
// for a stream that will never open.
void WriterLoop::finish() {
  std::vector<Command> late;
  {
    std::lock_guard lock(inbox_mu_);
    stopped_ = true;
    late.swap(inbox_);
  }
  for (auto& command : late) {
    if (auto* added = std::get_if<NewStream>(&command)) add(*added);
    if (auto* task = std::get_if<Task>(&command)) (*task)();
  }
  if (guest_) guest_->on_stop();
  std::vector<StreamId> left;
  for (auto& [id, stream] : streams_) left.push_back(id);
  for (StreamId id : left) close_stream(id, CloseReason::kShutdown);
}

int WriterLoop::next_timeout_ms() const {
  if (!dirty_.empty()) return 0;  // a flush was cut short: go on after a look around
  // Time moves only when the clock says so, and it wakes us; but a guest with
  // work left for now (a pipelined request) is called again at once.
  if (clock_watch_) return guest_next_ms_ <= clock_.steady_ms() ? 0 : -1;
  const int64_t now = clock_.steady_ms();
  int64_t next = std::min({next_heartbeat_ms_, next_scan_ms_, guest_next_ms_});
  if (draining_) next = std::min<int64_t>(next, std::min(drain_deadline_ms_, now + 20));
  return static_cast<int>(std::clamp<int64_t>(next - now, 0, kMaxScanIntervalMs));
}

void WriterLoop::apply(Command& command) {
  std::visit(
      [this](auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, NewStream>) add(c);
        if constexpr (std::is_same_v<T, Connect>) connect(c);
        if constexpr (std::is_same_v<T, Deliver>) deliver(c);
        if constexpr (std::is_same_v<T, Replay>) replay(c);
        if constexpr (std::is_same_v<T, Close>) close_stream(c.id, c.reason);
        if constexpr (std::is_same_v<T, Drain>) start_drain(c);
        if constexpr (std::is_same_v<T, Task>) c();
      },
      command);
}

void WriterLoop::add(NewStream& incoming) {
  auto stream = std::make_unique<Stream>();
  stream->id = incoming.id;
  stream->expires_at_ms = incoming.expires_at_ms;
  stream->last_event_steady_ms = clock_.steady_ms();
  stream->stats = std::move(incoming.stats);
  enqueue(*stream, {std::make_shared<const std::string>(std::move(incoming.preamble)), 0, false});
  if (draining_) stream->close_after_flush = true;
  streams_.emplace(incoming.id, std::move(stream));
  stream_count_.store(streams_.size(), std::memory_order_relaxed);
}

void WriterLoop::connect(Connect& connect) {
  auto it = streams_.find(connect.id);
  // Closed (kicked, shut down) before its socket came: the socket goes with
  // the command.
  if (it == streams_.end()) return;
  attach_socket(*it->second, std::move(connect.socket));
}

void WriterLoop::attach_socket(Stream& stream, SocketFd socket) {
  if (!socket.valid() || !make_stream_socket(socket.get())) {
    return close_stream(stream.id, CloseReason::kClientGone);
  }
  stream.socket = std::move(socket);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = stream.id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stream.fd(), &ev) != 0) {
    return close_stream(stream.id, CloseReason::kWriteError);
  }
  mark_dirty(stream);
}

WriterLoop::Stream* WriterLoop::writable(StreamId id) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second->close_after_flush) return nullptr;
  return it->second.get();
}

void WriterLoop::mark_dirty(Stream& stream) {
  if (stream.dirty) return;
  stream.dirty = true;
  dirty_.push_back(stream.id);
}

void WriterLoop::enqueue(Stream& stream, Chunk chunk) {
  loop_queued_bytes_ += chunk.bytes->size();
  stream.push(std::move(chunk));
}

bool WriterLoop::over_bound(const Stream& stream) const {
  if (stream.live_queued > settings_.max_queued) return true;
  // One event alone never is: it may be larger than the bound.
  return settings_.max_queued_bytes > 0 && stream.queue.size() > 1 &&
         stream.queued_bytes > settings_.max_queued_bytes;
}

void WriterLoop::deliver(const Deliver& deliver) {
  const Bytes bytes = wire_of(deliver.event);
  for (StreamId id : deliver.targets) {
    Stream* stream = writable(id);
    if (!stream) continue;
    enqueue(*stream, {bytes, deliver.event->id, true});
    stream->last_event_steady_ms = clock_.steady_ms();
    if (over_bound(*stream)) {
      // A burst can outrun the batched flush; only a client whose socket
      // takes no more is slow.
      flush(*stream);
      if (!streams_.count(id)) continue;  // the write failed: closed
      if (over_bound(*stream)) {
        close_stream(id, CloseReason::kSlowClient);
        continue;
      }
    }
    mark_dirty(*stream);
  }
}

void WriterLoop::replay(Replay& replay) {
  auto it = streams_.find(replay.id);
  if (it == streams_.end()) return;
  uint64_t bytes = replay.caught_up ? wire::kCaughtUpFrame.size() : 0;
  for (const auto& event : replay.events) bytes += event->wire.size();
  StreamStats& stats = *it->second->stats;
  stats.replay_in_flight.fetch_sub(replay.events.size(), Metrics::relaxed);
  stats.replay_in_flight_bytes.fetch_sub(bytes, Metrics::relaxed);
  Stream* stream = writable(replay.id);
  if (!stream) return;
  for (auto& event : replay.events) enqueue(*stream, {wire_of(event), event->id, false});
  if (!replay.events.empty()) stream->last_event_steady_ms = clock_.steady_ms();
  // In the same step as the last page: whatever the registry routes to the
  // stream from now on was posted after this, so it comes after the comment.
  // Neither an event (no id) nor live (not held against max_queued).
  if (replay.caught_up) enqueue(*stream, {caught_up_frame(), 0, false});
  mark_dirty(*stream);
}

void WriterLoop::start_drain(Drain& drain) {
  draining_ = true;
  drain_deadline_ms_ = drain.deadline_ms;
  if (guest_) guest_->on_drain();
  if (drain.farewell.empty()) return;
  auto bytes = std::make_shared<const std::string>(std::move(drain.farewell));
  for (auto& [id, stream] : streams_) {
    if (stream->close_after_flush) continue;
    enqueue(*stream, {bytes, 0, false});
    stream->close_after_flush = true;
    mark_dirty(*stream);
  }
}

void WriterLoop::on_timers() {
  const int64_t now = clock_.steady_ms();
  // Injected time jumps: look at every stream's deadlines at once, not a
  // scan interval later.
  if (time_moved_.exchange(false)) next_scan_ms_ = std::min(next_scan_ms_, now);
  if (now >= next_heartbeat_ms_ && !draining_) {
    next_heartbeat_ms_ = now + settings_.heartbeat_interval_ms;
    send_heartbeats();
  }
  if (now < next_scan_ms_) return;
  int64_t interval = kMaxScanIntervalMs;
  if (settings_.idle_timeout_ms > 0) {
    interval = std::clamp<int64_t>(settings_.idle_timeout_ms / 4, 10, interval);
  }
  next_scan_ms_ = now + interval;
  close_expired();
}

void WriterLoop::send_heartbeats() {
  auto frame = std::make_shared<const std::string>(heartbeat_frame(clock_.now_ms()));
  for (auto& [id, stream] : streams_) {
    if (stream->close_after_flush) continue;
    enqueue(*stream, {frame, 0, true});
    mark_dirty(*stream);
  }
}

void WriterLoop::close_expired() {
  const int64_t now = clock_.steady_ms();
  const int64_t wall = clock_.now_ms();
  std::vector<std::pair<StreamId, CloseReason>> expired;
  for (auto& [id, stream] : streams_) {
    if (over_bound(*stream)) {
      expired.emplace_back(id, CloseReason::kSlowClient);
    } else if (stream->expires_at_ms > 0 && wall >= stream->expires_at_ms) {
      expired.emplace_back(id, CloseReason::kTokenExpired);
    } else if (settings_.idle_timeout_ms > 0 &&
               now - stream->last_event_steady_ms >= settings_.idle_timeout_ms) {
      expired.emplace_back(id, CloseReason::kIdleTimeout);
    }
  }
  for (auto& [id, reason] : expired) {
    if (reason == CloseReason::kSlowClient) {
      // Only a client whose socket takes no more is slow, not one whose
      // turn in a cut-short flush has not come yet.
      auto it = streams_.find(id);
      if (it == streams_.end()) continue;
      flush(*it->second);
      it = streams_.find(id);
      if (it == streams_.end() || !over_bound(*it->second)) continue;
    }
    close_stream(id, reason);
  }
}

}  // namespace sse
