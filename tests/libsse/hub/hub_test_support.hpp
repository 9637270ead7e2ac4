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

#include "sse/log/event_log.hpp"

namespace sse::hub_test {

inline constexpr auto kPatience = std::chrono::seconds(5);  // the most a wait takes when things work

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

// A connected TCP pair on loopback: {client end, server end}.
inline std::pair<Poco::Net::StreamSocket, Poco::Net::StreamSocket> tcp_pair() {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::StreamSocket client(Poco::Net::SocketAddress::IPv4);
  client.connect(Poco::Net::SocketAddress("127.0.0.1", listener.address().port()));
  Poco::Net::StreamSocket server = listener.acceptConnection();
  return {client, server};
}

// The reading end of a stream. read_until() returns once `done(received)`,
// at EOF, or after kPatience; true when done.
class Reader {
 public:
  explicit Reader(Poco::Net::StreamSocket socket) : socket_(std::move(socket)) {}
  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }

  bool read_until(const std::function<bool(const std::string&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!done(received_)) {
      if (eof_) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd pfd{socket_.impl()->sockfd(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[65536];
      const ssize_t n = ::recv(pfd.fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        eof_ = true;
      } else {
        received_.append(buffer, static_cast<size_t>(n));
      }
    }
    return true;
  }
  bool read_until_contains(const std::string& needle) {
    return read_until([&](const std::string& r) { return r.find(needle) != std::string::npos; });
  }
  bool read_to_eof() {
    read_until([this](const std::string&) { return eof_; });
    return eof_;
  }

 private:
  Poco::Net::StreamSocket socket_;
  std::string received_;
  bool eof_ = false;
};

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
