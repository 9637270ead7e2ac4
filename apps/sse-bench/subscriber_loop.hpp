#pragma once

// One subscriber epoll loop: its own thread, owning every connection i with
// i % loops == its index. It opens them on the connect schedule, sends the
// GET, reads the response head and then scans the stream (chunked or not)
// for stamped events, recording per subscriber which publish numbers of its
// channel arrived and, per delivery, the publish-to-receive latency.
//
// Threads: the loop's state is touched by its thread alone. Other threads
// read live counters (relaxed atomics), ask for a count of the established
// subscribers (count_established, answered by the loop's thread) and, after
// join(), read the results.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sse-bench/chunked_decoder.hpp"
#include "sse-bench/histogram.hpp"
#include "sse-bench/options.hpp"
#include "sse-bench/seq_set.hpp"
#include "sse-bench/sse_scanner.hpp"
#include "sse-bench/target.hpp"
#include "sse-bench/wakeable_epoll.hpp"

namespace sse::bench {

// What every loop shares, read-only while they run (publish_start_ns aside).
struct SubscriberPlan {
  const Settings* settings = nullptr;
  Address address;
  std::vector<Address> sources;  // empty: no bind
  int64_t start_ns = 0;          // when connection 0 is opened
  // CLOCK_MONOTONIC of the first publish, 0 before: stamps sent earlier (a
  // previous run's, replayed by a server) are counted stale.
  const std::atomic<int64_t>* publish_start_ns = nullptr;
};

// Counters other threads may read while the loop runs.
struct LiveCounters {
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> established{0};  // subscribers established at least once
  std::atomic<uint64_t> refused{0};      // first attempts that failed
  std::atomic<uint64_t> received{0};     // unique deliveries to counted subscribers
  std::atomic<uint64_t> received_total{0};
  std::atomic<uint64_t> other_events{0};
  std::atomic<uint64_t> dropped{0};  // streams down now, not by us
  std::atomic<uint64_t> reconnects{0};
  std::atomic<int64_t> last_receive_ns{0};
};

// What a loop measured, read after join().
struct SubscriberTotals {
  uint64_t started = 0;
  uint64_t established = 0;
  uint64_t refused = 0;
  std::map<std::string, uint64_t> refused_by_status;  // "429", "connect_error"
  std::string first_connect_error;                    // strerror of the first one
  uint64_t dropped = 0;
  uint64_t reconnects = 0;
  uint64_t reconnect_errors = 0;
  uint64_t protocol_errors = 0;
  uint64_t received_total = 0;  // every stamped event
  uint64_t unique = 0;          // first receipts, any subscriber
  uint64_t duplicates = 0;
  uint64_t misrouted = 0;
  uint64_t stale = 0;
  uint64_t other_events = 0;
  uint64_t bytes = 0;
  int64_t last_receive_ns = 0;
  Histogram latency_us = make_latency_histogram();
  Histogram connect_us = make_latency_histogram();
};

class SubscriberLoop : private EventSink {
 public:
  SubscriberLoop(const SubscriberPlan& plan, int index, int loops);
  ~SubscriberLoop();  // stops and joins
  SubscriberLoop(const SubscriberLoop&) = delete;
  SubscriberLoop& operator=(const SubscriberLoop&) = delete;

  // Creates the epoll and eventfd and starts the thread.
  Status start();
  // Asks the thread to close every connection and end; join() waits.
  void stop();
  void join();

  // Marks every subscriber established now as counted (it is expected to
  // receive every publish from now on) and returns how many there are per
  // channel. Blocks until the loop's thread answers.
  std::vector<uint64_t> count_established();

  const LiveCounters& live() const { return live_; }

  // After join():
  const SubscriberTotals& totals() const { return totals_; }
  // Calls f(channel, received set) for each counted subscriber.
  template <class F>
  void for_each_counted(F&& f) const {
    for (const auto& s : subscribers_) {
      if (s.counted) f(s.channel, s.received);
    }
  }

 private:
  enum class Phase : uint8_t { kNotStarted, kConnecting, kHead, kStreaming, kWaiting, kDown };
  struct Subscriber {
    uint64_t index = 0;
    uint32_t channel = 0;
    uint32_t generation = 0;
    int fd = -1;
    Phase phase = Phase::kNotStarted;
    bool counted = false;
    bool ever_established = false;
    bool chunked = false;
    bool limited = false;     // Content-Length framed
    uint64_t remaining = 0;   // of the Content-Length
    int64_t started_ns = 0;   // of this attempt
    int64_t retry_at_ns = 0;  // kWaiting
    std::string out;          // unsent request bytes
    std::string head;         // response head so far
    ChunkedDecoder chunks;
    SseScanner scanner;
    SeqSet received;
  };

  void run();
  void open_due(int64_t now);
  void retry_due(int64_t now);
  int next_timeout_ms(int64_t now) const;
  void connect(Subscriber& s, int64_t now);
  void on_ready(Subscriber& s, uint32_t events, int64_t now);
  void on_connected(Subscriber& s);
  void send_request(Subscriber& s);
  void on_readable(Subscriber& s, int64_t now);
  void on_head(Subscriber& s, int64_t now);
  void on_body(Subscriber& s, char* data, size_t size, int64_t now);
  void attempt_failed(Subscriber& s, const std::string& reason, int64_t now);
  void stream_ended(Subscriber& s, int64_t now);
  void close_socket(Subscriber& s);
  void watch(Subscriber& s, uint32_t events, bool add);
  void answer_count_request();
  void publish_live();

  // EventSink, for the subscriber being read (current_).
  void on_stamped(const Stamp& stamp) override;
  void on_other() override;

  const SubscriberPlan& plan_;
  const int index_;
  const int loops_;
  WakeableEpoll epoll_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  std::vector<Subscriber> subscribers_;
  size_t next_to_open_ = 0;
  std::vector<size_t> waiting_;  // kWaiting subscribers
  std::vector<char> buffer_;
  std::string request_;
  Subscriber* current_ = nullptr;
  int64_t now_ = 0;
  int64_t publish_start_ = 0;
  uint64_t received_counted_ = 0;

  std::mutex count_mutex_;
  std::condition_variable count_cv_;
  bool finished_ = false;  // the thread has ended (guarded by count_mutex_)
  std::atomic<bool> count_flag_{false};
  std::optional<std::vector<uint64_t>> count_answer_;

  LiveCounters live_;
  SubscriberTotals totals_;
};

}  // namespace sse::bench
