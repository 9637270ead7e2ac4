#include "sse-bench/publisher.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sse-bench/clock.hpp"
#include "sse-bench/stamp.hpp"

namespace sse::bench {
namespace {

constexpr int64_t kRetryDelayNs = 200 * kNsPerMs;
constexpr size_t kMaxHeadBytes = 64 * 1024;

bool is_2xx(int status) { return status >= 200 && status <= 299; }

bool method_has_body(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

Publisher::Publisher(const Settings& settings, const Address& address)
    : settings_(settings),
      publish_(*settings.publish),
      address_(address),
      connections_(static_cast<size_t>(settings.publish->connections)),
      next_cseq_(settings.channels, 0),
      rng_(std::random_device{}()) {
  totals_.ok.resize(settings.channels);
}

Publisher::~Publisher() {
  stop();
  join();
  for (auto& c : connections_) {
    if (c.fd >= 0) ::close(c.fd);
  }
}

Status Publisher::start() {
  if (auto opened = epoll_.open(); !opened) return opened;
  buffer_.resize(64 * 1024);
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    return Error::unavailable(std::string("cannot start a thread: ") + e.what());
  }
  return {};
}

void Publisher::go(int64_t t0_ns, std::vector<uint64_t> counted) {
  t0_ns_ = t0_ns;
  counted_ = std::move(counted);
  go_.store(true, std::memory_order_release);
  epoll_.wake();
}

void Publisher::stop() {
  stop_.store(true);
  epoll_.wake();
}

void Publisher::join() {
  if (thread_.joinable()) thread_.join();
}

void Publisher::run() {
  std::vector<epoll_event> events(256);
  const int64_t started = now_ns();
  for (auto& c : connections_) connect(c, started);
  while (!stop_.load(std::memory_order_relaxed)) {
    int64_t now = now_ns();
    for (auto& c : connections_) {
      if (c.state == State::kDown && c.retry_at_ns <= now) connect(c, now);
    }
    if (totals_.connects == 0 && initial_failures_ >= connections_.size()) {
      live_.unreachable.store(true);
      break;
    }
    if (go_.load(std::memory_order_acquire)) {
      schedule(now);
      if (sending_done_ && in_flight_ == 0) break;
    }
    publish_live();
    const timespec timeout = next_timeout(now);
    const int n = epoll_pwait2(epoll_.fd(), events.data(), static_cast<int>(events.size()),
                               &timeout, nullptr);
    for (int e = 0; e < n; ++e) {
      const uint64_t t = events[e].data.u64;
      if (t == WakeableEpoll::kWakeTag) {
        epoll_.drain();
        continue;
      }
      Connection& c = connections_[static_cast<uint32_t>(t)];
      if (c.fd < 0 || c.generation != static_cast<uint32_t>(t >> 32)) continue;
      on_ready(c, events[e].events, now_ns());
    }
  }
  // Stopped early: what is still awaited will not be answered.
  for (auto& c : connections_) {
    if (c.state == State::kBusy) request_failed(c, "unanswered");
  }
  publish_live();
  live_.finished.store(true);
}

void Publisher::schedule(int64_t now) {
  const double rate = publish_.rate;
  while (!sending_done_) {
    if (publish_.count > 0 && next_seq_ >= publish_.count) {
      sending_done_ = true;
      break;
    }
    const int64_t due =
        rate > 0 ? t0_ns_ + static_cast<int64_t>(static_cast<double>(next_seq_) * 1e9 / rate) : now;
    if (publish_.duration &&
        std::max(due, t0_ns_) >= t0_ns_ + publish_.duration->count() * kNsPerMs) {
      sending_done_ = true;
      break;
    }
    if (due > now) break;
    if (idle_.empty()) {
      // Due, and every connection is still waiting for an answer.
      if (rate > 0 && blocked_seq_ != next_seq_) {
        blocked_seq_ = next_seq_;
        ++totals_.behind;
      }
      break;
    }
    const size_t k = idle_.back();
    idle_.pop_back();
    send_publish(connections_[k], now);
  }
}

void Publisher::send_publish(Connection& c, int64_t now) {
  const uint64_t seq = next_seq_++;
  const auto channels = static_cast<uint64_t>(settings_.channels);
  const uint64_t channel = publish_.pick == Pick::kRandom ? rng_() % channels : seq % channels;
  const uint64_t cseq = next_cseq_[channel]++;
  const int64_t send_ns = std::max(now_ns(), now);
  stamp_.clear();
  append_stamp(stamp_, Stamp{static_cast<uint32_t>(channel), cseq, static_cast<uint64_t>(send_ns)});
  const TemplateValues values{0, channel, seq, stamp_};

  body_.clear();
  publish_.body.expand_to(body_, values);
  std::string& out = c.out;
  out.assign(publish_.method);
  out += ' ';
  publish_.url.path.expand_to(out, values);
  out += " HTTP/1.1\r\nHost: ";
  out += publish_.url.authority;
  out += "\r\n";
  for (const auto& header : publish_.headers) {
    header.expand_to(out, values);
    out += "\r\n";
  }
  if (!body_.empty() || method_has_body(publish_.method)) {
    out += "Content-Length: ";
    out += std::to_string(body_.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += body_;

  c.state = State::kBusy;
  c.channel = static_cast<uint32_t>(channel);
  c.cseq = cseq;
  c.sent_ns = send_ns;
  c.have_head = false;
  c.in.clear();
  c.chunks.reset();
  ++in_flight_;
  ++totals_.sent;
  if (totals_.first_send_ns == 0) totals_.first_send_ns = send_ns;
  totals_.last_send_ns = send_ns;
  flush(c);
}

void Publisher::connect(Connection& c, int64_t now) {
  ++c.generation;
  c.state = State::kConnecting;
  c.in.clear();
  c.out.clear();
  c.fd = ::socket(address_.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return connect_failed(c, now);
  const int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&address_.storage), address_.length) == 0) {
    watch(c, EPOLLOUT, /*add=*/true);  // reported at once: handled as a finished connect
    return;
  }
  if (errno != EINPROGRESS) return connect_failed(c, now);
  watch(c, EPOLLOUT, /*add=*/true);
}

void Publisher::on_ready(Connection& c, uint32_t events, int64_t now) {
  if (c.state == State::kConnecting) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      errno = error;
      return connect_failed(c, now);
    }
    c.ever_tried = true;
    ++totals_.connects;
    ++connected_;
    c.answered = false;
    c.state = State::kIdle;
    watch(c, EPOLLIN, /*add=*/false);
    idle_.push_back(static_cast<size_t>(&c - connections_.data()));
    return;
  }
  if ((events & EPOLLOUT) && !c.out.empty()) {
    flush(c);
    if (c.fd < 0) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c, now);
}

void Publisher::flush(Connection& c) {
  const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EINTR) return lost_connection(c, now_ns());
  c.out.erase(0, n > 0 ? static_cast<size_t>(n) : 0);
  watch(c, c.out.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT, /*add=*/false);
}

void Publisher::on_readable(Connection& c, int64_t now) {
  const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return lost_connection(c, now);
  if (c.state != State::kBusy) return lost_connection(c, now);  // bytes nobody asked for
  c.in.append(buffer_.data(), static_cast<size_t>(n));
  read_answer(c, now);
}

void Publisher::read_answer(Connection& c, int64_t now) {
  while (!c.have_head) {
    const auto end = find_head_end(c.in);
    if (!end) {
      if (c.in.size() > kMaxHeadBytes) {
        request_failed(c, "bad_response");
        lost_connection(c, now);
      }
      return;
    }
    auto head = parse_response_head(std::string_view(c.in).substr(0, *end));
    if (!head) {
      request_failed(c, "bad_response");
      return lost_connection(c, now);
    }
    c.in.erase(0, *end);
    if (head->status >= 100 && head->status <= 199) continue;  // 100 Continue: the answer follows
    c.head = *head;
    c.have_head = true;
  }
  if (c.head.chunked) {
    const auto step = c.chunks.decode(c.in.data(), c.in.size());
    if (step.error) {
      request_failed(c, "bad_response");
      return lost_connection(c, now);
    }
    c.in.erase(0, step.consumed);
    if (!step.done) return;
  } else if (c.head.content_length) {
    if (c.in.size() < *c.head.content_length) return;
    c.in.erase(0, *c.head.content_length);
  } else {
    c.in.clear();
    return;  // the body runs to the end of the connection (lost_connection answers)
  }
  answered(c, now);
  if (c.head.close) lost_connection(c, now);
}

void Publisher::answered(Connection& c, int64_t now) {
  totals_.latency_us.record((now - c.sent_ns) / 1000);
  totals_.last_answer_ns = now;
  --in_flight_;
  c.answered = true;
  if (is_2xx(c.head.status)) {
    ++totals_.published;
    totals_.ok[c.channel].insert(c.cseq);
    if (c.channel < counted_.size()) totals_.expected += counted_[c.channel];
  } else {
    ++totals_.failed;
    ++totals_.errors_by_status[std::to_string(c.head.status)];
  }
  c.state = State::kIdle;
  c.have_head = false;
  idle_.push_back(static_cast<size_t>(&c - connections_.data()));
}

void Publisher::request_failed(Connection& c, const std::string& reason) {
  if (c.state != State::kBusy) return;
  --in_flight_;
  ++totals_.failed;
  ++totals_.errors_by_status[reason];
  c.state = State::kIdle;
}

void Publisher::lost_connection(Connection& c, int64_t now) {
  if (c.state == State::kBusy) {
    // An answer framed by the end of the connection is complete now.
    if (c.have_head && !c.head.chunked && !c.head.content_length) {
      answered(c, now);
    } else {
      request_failed(c, "closed");
    }
  }
  std::erase(idle_, static_cast<size_t>(&c - connections_.data()));
  if (c.state == State::kIdle || c.state == State::kBusy) --connected_;
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.state = State::kDown;
  // At once, unless the server closes connections before answering anything.
  c.retry_at_ns = c.answered ? now : now + kRetryDelayNs;
}

void Publisher::connect_failed(Connection& c, int64_t now) {
  if (totals_.first_connect_error.empty()) totals_.first_connect_error = std::strerror(errno);
  if (!c.ever_tried) {
    c.ever_tried = true;
    ++initial_failures_;
  }
  ++totals_.connect_failures;
  ++totals_.errors_by_status["connect_error"];
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.state = State::kDown;
  c.retry_at_ns = now + kRetryDelayNs;
}

void Publisher::watch(Connection& c, uint32_t events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t{c.generation} << 32) | static_cast<uint32_t>(&c - connections_.data());
  ::epoll_ctl(epoll_.fd(), add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
}

timespec Publisher::next_timeout(int64_t now) const {
  int64_t wait_ns = 100 * kNsPerMs;
  for (const auto& c : connections_) {
    if (c.state == State::kDown)
      wait_ns = std::min(wait_ns, std::max<int64_t>(c.retry_at_ns - now, 0));
  }
  if (go_.load(std::memory_order_acquire) && !sending_done_ && !idle_.empty()) {
    const double rate = publish_.rate;
    const int64_t due =
        rate > 0 ? t0_ns_ + static_cast<int64_t>(static_cast<double>(next_seq_) * 1e9 / rate) : now;
    wait_ns = std::min(wait_ns, std::max<int64_t>(due - now, 0));
  }
  // To the nanosecond (epoll_pwait2), so the schedule is kept between ticks.
  return timespec{static_cast<time_t>(wait_ns / kNsPerSecond),
                  static_cast<long>(wait_ns % kNsPerSecond)};
}

void Publisher::publish_live() {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  live_.sent.store(totals_.sent, kRelaxed);
  live_.published.store(totals_.published, kRelaxed);
  live_.errors.store(totals_.failed + totals_.connect_failures, kRelaxed);
  live_.expected.store(totals_.expected, kRelaxed);
  live_.sending_done.store(sending_done_, kRelaxed);
  live_.connected.store(connected_, kRelaxed);
}

}  // namespace sse::bench
