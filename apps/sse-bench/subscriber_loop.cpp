#include "sse-bench/subscriber_loop.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sse-bench/clock.hpp"
#include "sse-bench/response_head.hpp"

namespace sse::bench {
namespace {

constexpr size_t kReadBytes = 256 * 1024;
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxOpensPerTurn = 2048;  // then serve the sockets already open
constexpr int64_t kRetryDelayNs = 250 * kNsPerMs;
constexpr uint64_t kMaxCseq = uint64_t{1} << 32;  // beyond: not a stamp of this run

uint64_t tag(uint32_t generation, size_t local) {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(local);
}

}  // namespace

SubscriberLoop::SubscriberLoop(const SubscriberPlan& plan, int index, int loops)
    : plan_(plan), index_(index), loops_(loops) {
  const uint64_t n = plan.settings->connections;
  const uint64_t mine = n > static_cast<uint64_t>(index) ? (n - index + loops - 1) / loops : 0;
  subscribers_.resize(mine);
  for (uint64_t k = 0; k < mine; ++k) {
    subscribers_[k].index = static_cast<uint64_t>(index) + k * static_cast<uint64_t>(loops);
    subscribers_[k].channel =
        static_cast<uint32_t>(subscribers_[k].index % plan.settings->channels);
  }
}

SubscriberLoop::~SubscriberLoop() {
  stop();
  join();
}

Status SubscriberLoop::start() {
  if (auto opened = epoll_.open(); !opened) return opened;
  buffer_.resize(kReadBytes);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return Error::unavailable(std::string("cannot start a thread: ") + e.what());
  }
  return {};
}

void SubscriberLoop::stop() {
  stop_.store(true);
  epoll_.wake();
}

void SubscriberLoop::join() {
  if (thread_.joinable()) thread_.join();
}

std::vector<uint64_t> SubscriberLoop::count_established() {
  std::unique_lock lock(count_mutex_);
  count_answer_.reset();
  count_flag_.store(true, std::memory_order_release);
  epoll_.wake();
  count_cv_.wait(lock, [this] { return count_answer_.has_value() || finished_; });
  if (!count_answer_) {
    // The thread has ended; its state is ours to read now.
    lock.unlock();
    answer_count_request();
  }
  return *count_answer_;
}

void SubscriberLoop::run() {
  std::vector<epoll_event> events(1024);
  while (!stop_.load(std::memory_order_relaxed)) {
    const int64_t now = now_ns();
    open_due(now);
    if (!waiting_.empty()) retry_due(now);
    const int n = epoll_wait(epoll_.fd(), events.data(), static_cast<int>(events.size()),
                             next_timeout_ms(now));
    publish_start_ = plan_.publish_start_ns->load(std::memory_order_acquire);
    for (int e = 0; e < n; ++e) {
      const uint64_t t = events[e].data.u64;
      if (t == WakeableEpoll::kWakeTag) {
        epoll_.drain();
        continue;
      }
      Subscriber& s = subscribers_[static_cast<uint32_t>(t)];
      if (s.fd < 0 || s.generation != static_cast<uint32_t>(t >> 32)) continue;  // closed since
      on_ready(s, events[e].events, now_ns());
    }
    if (count_flag_.load(std::memory_order_acquire)) answer_count_request();
    publish_live();
  }
  for (auto& s : subscribers_) close_socket(s);
  publish_live();
  {
    std::lock_guard lock(count_mutex_);
    finished_ = true;
  }
  count_cv_.notify_all();
}

void SubscriberLoop::open_due(int64_t now) {
  const double rate = plan_.settings->connect_rate;
  size_t opened = 0;
  while (next_to_open_ < subscribers_.size() && opened < kMaxOpensPerTurn) {
    Subscriber& s = subscribers_[next_to_open_];
    const int64_t due =
        rate > 0 ? plan_.start_ns + static_cast<int64_t>(static_cast<double>(s.index) * 1e9 / rate)
                 : plan_.start_ns;
    if (due > now) break;
    ++totals_.started;
    connect(s, now);
    ++next_to_open_;
    ++opened;
  }
}

void SubscriberLoop::retry_due(int64_t now) {
  auto due = [&](size_t k) { return subscribers_[k].retry_at_ns <= now; };
  std::vector<size_t> ready;
  for (size_t k : waiting_) {
    if (due(k)) ready.push_back(k);
  }
  std::erase_if(waiting_, due);
  for (size_t k : ready) connect(subscribers_[k], now);
}

int SubscriberLoop::next_timeout_ms(int64_t now) const {
  int64_t wait_ns = 100 * kNsPerMs;
  if (next_to_open_ < subscribers_.size()) {
    const double rate = plan_.settings->connect_rate;
    const uint64_t i = subscribers_[next_to_open_].index;
    const int64_t due =
        rate > 0 ? plan_.start_ns + static_cast<int64_t>(static_cast<double>(i) * 1e9 / rate)
                 : plan_.start_ns;
    wait_ns = std::min(wait_ns, std::max<int64_t>(due - now, 0));
  }
  if (!waiting_.empty()) wait_ns = std::min(wait_ns, 10 * kNsPerMs);
  return static_cast<int>((wait_ns + kNsPerMs - 1) / kNsPerMs);
}

void SubscriberLoop::connect(Subscriber& s, int64_t now) {
  ++s.generation;
  s.started_ns = now;
  s.phase = Phase::kConnecting;
  s.out.clear();
  s.head.clear();
  const auto& address = plan_.address;
  s.fd = ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return attempt_failed(s, "connect_error", now);
  if (!plan_.sources.empty()) {
    // The port is chosen at connect(), per destination, not at bind(): so
    // bound sockets do not run out of ports at bind time.
    const int one = 1;
    ::setsockopt(s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const Address& source = plan_.sources[s.index % plan_.sources.size()];
    if (::bind(s.fd, reinterpret_cast<const sockaddr*>(&source.storage), source.length) != 0) {
      return attempt_failed(s, "connect_error", now);
    }
  }
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0) {
    watch(s, EPOLLIN, /*add=*/true);
    return on_connected(s);
  }
  if (errno != EINPROGRESS) return attempt_failed(s, "connect_error", now);
  watch(s, EPOLLOUT, /*add=*/true);
}

void SubscriberLoop::on_ready(Subscriber& s, uint32_t events, int64_t now) {
  if (s.phase == Phase::kConnecting) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      errno = error;
      return attempt_failed(s, "connect_error", now);
    }
    return on_connected(s);
  }
  if ((events & EPOLLOUT) && !s.out.empty()) {
    send_request(s);
    if (s.fd < 0) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(s, now);
}

void SubscriberLoop::on_connected(Subscriber& s) {
  s.phase = Phase::kHead;
  const auto& settings = *plan_.settings;
  const TemplateValues values{s.index, s.channel, 0, {}};
  request_.assign("GET ");
  settings.url.path.expand_to(request_, values);
  request_ += " HTTP/1.1\r\nHost: ";
  request_ += settings.url.authority;
  request_ += "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n";
  for (const auto& header : settings.headers) {
    header.expand_to(request_, values);
    request_ += "\r\n";
  }
  if (s.ever_established && !s.scanner.last_id().empty()) {
    request_ += "Last-Event-ID: ";
    request_ += s.scanner.last_id();
    request_ += "\r\n";
  }
  request_ += "\r\n";
  s.out = request_;
  send_request(s);
}

void SubscriberLoop::send_request(Subscriber& s) {
  const ssize_t n = ::send(s.fd, s.out.data(), s.out.size(), MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EINTR) {
    return attempt_failed(s, "connect_error", now_ns());
  }
  s.out.erase(0, n > 0 ? static_cast<size_t>(n) : 0);
  watch(s, s.out.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT, /*add=*/false);
  if (s.out.empty()) s.out.shrink_to_fit();
}

void SubscriberLoop::on_readable(Subscriber& s, int64_t now) {
  const ssize_t n = ::recv(s.fd, buffer_.data(), buffer_.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    if (s.phase == Phase::kHead) {
      if (n == 0) errno = ECONNRESET;
      return attempt_failed(s, "connect_error", now);
    }
    return stream_ended(s, now);
  }
  totals_.bytes += static_cast<uint64_t>(n);
  if (s.phase == Phase::kHead) {
    s.head.append(buffer_.data(), static_cast<size_t>(n));
    return on_head(s, now);
  }
  on_body(s, buffer_.data(), static_cast<size_t>(n), now);
}

void SubscriberLoop::on_head(Subscriber& s, int64_t now) {
  const auto end = find_head_end(s.head);
  if (!end) {
    if (s.head.size() > kMaxHeadBytes) attempt_failed(s, "bad_response", now);
    return;
  }
  const auto head = parse_response_head(std::string_view(s.head).substr(0, *end));
  if (!head) return attempt_failed(s, "bad_response", now);
  if (head->status != 200) return attempt_failed(s, std::to_string(head->status), now);

  s.phase = Phase::kStreaming;
  s.chunked = head->chunked;
  s.limited = head->content_length.has_value();
  s.remaining = head->content_length.value_or(0);
  s.chunks.reset();
  s.scanner.restart();
  if (!s.ever_established) {
    s.ever_established = true;
    ++totals_.established;
    totals_.connect_us.record((now - s.started_ns) / 1000);
  } else {
    ++totals_.reconnects;
    --totals_.dropped;
  }
  // What came after the head is the body's start.
  const size_t rest = s.head.size() - *end;
  std::memcpy(buffer_.data(), s.head.data() + *end, rest);
  s.head.clear();
  s.head.shrink_to_fit();
  if (s.limited && s.remaining == 0) return stream_ended(s, now);
  if (rest > 0) on_body(s, buffer_.data(), rest, now);
}

void SubscriberLoop::on_body(Subscriber& s, char* data, size_t size, int64_t now) {
  size_t body = size;
  bool ended = false;
  if (s.chunked) {
    const auto step = s.chunks.decode(data, size);
    if (step.error) {
      ++totals_.protocol_errors;
      return stream_ended(s, now);
    }
    body = step.body;
    ended = step.done;
  } else if (s.limited) {
    body = static_cast<size_t>(std::min<uint64_t>(size, s.remaining));
    s.remaining -= body;
    ended = s.remaining == 0;
  }
  current_ = &s;
  now_ = now;
  if (!s.scanner.feed(std::string_view(data, body), *this)) {
    ++totals_.protocol_errors;
    return stream_ended(s, now);
  }
  if (ended) stream_ended(s, now);
}

void SubscriberLoop::on_stamped(const Stamp& stamp) {
  Subscriber& s = *current_;
  ++totals_.received_total;
  if (publish_start_ == 0) publish_start_ = plan_.publish_start_ns->load(std::memory_order_acquire);
  if (publish_start_ == 0 || static_cast<int64_t>(stamp.send_ns) < publish_start_ ||
      stamp.cseq >= kMaxCseq) {
    ++totals_.stale;
    return;
  }
  if (stamp.channel != s.channel) {
    ++totals_.misrouted;
    return;
  }
  if (!s.received.insert(stamp.cseq)) {
    ++totals_.duplicates;
    return;
  }
  ++totals_.unique;
  if (s.counted) ++received_counted_;
  totals_.latency_us.record((now_ - static_cast<int64_t>(stamp.send_ns)) / 1000);
  totals_.last_receive_ns = now_;
}

void SubscriberLoop::on_other() { ++totals_.other_events; }

void SubscriberLoop::attempt_failed(Subscriber& s, const std::string& reason, int64_t now) {
  if (reason == "connect_error" && totals_.first_connect_error.empty()) {
    totals_.first_connect_error = std::strerror(errno);
  }
  close_socket(s);
  if (!s.ever_established) {
    s.phase = Phase::kDown;
    ++totals_.refused;
    ++totals_.refused_by_status[reason];
    return;
  }
  // A reconnection that failed: try again shortly, not in a tight loop.
  ++totals_.reconnect_errors;
  s.phase = Phase::kWaiting;
  s.retry_at_ns = now + kRetryDelayNs;
  waiting_.push_back(static_cast<size_t>(&s - subscribers_.data()));
}

void SubscriberLoop::stream_ended(Subscriber& s, int64_t now) {
  close_socket(s);
  ++totals_.dropped;
  if (plan_.settings->reconnect && !stop_.load(std::memory_order_relaxed)) return connect(s, now);
  s.phase = Phase::kDown;
}

void SubscriberLoop::close_socket(Subscriber& s) {
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
}

void SubscriberLoop::watch(Subscriber& s, uint32_t events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag(s.generation, static_cast<size_t>(&s - subscribers_.data()));
  ::epoll_ctl(epoll_.fd(), add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s.fd, &ev);
}

void SubscriberLoop::answer_count_request() {
  count_flag_.store(false, std::memory_order_relaxed);
  std::vector<uint64_t> per_channel(plan_.settings->channels, 0);
  for (auto& s : subscribers_) {
    if (s.phase == Phase::kStreaming) {
      s.counted = true;
      ++per_channel[s.channel];
    }
  }
  {
    std::lock_guard lock(count_mutex_);
    count_answer_ = std::move(per_channel);
  }
  count_cv_.notify_all();
}

void SubscriberLoop::publish_live() {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  live_.started.store(totals_.started, kRelaxed);
  live_.established.store(totals_.established, kRelaxed);
  live_.refused.store(totals_.refused, kRelaxed);
  live_.received.store(received_counted_, kRelaxed);
  live_.received_total.store(totals_.received_total, kRelaxed);
  live_.other_events.store(totals_.other_events, kRelaxed);
  live_.dropped.store(totals_.dropped, kRelaxed);
  live_.reconnects.store(totals_.reconnects, kRelaxed);
  live_.last_receive_ns.store(totals_.last_receive_ns, kRelaxed);
}

}  // namespace sse::bench
