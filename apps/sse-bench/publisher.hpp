#pragma once

// The publisher: C keep-alive HTTP/1.1 connections on one epoll thread, one
// request in flight on each. From go(t0) it sends publish k at
// t0 + k / rate (open loop; a publish due while every connection is busy
// goes out as soon as one is free and counts as behind), or, with rate 0, as
// fast as answers come back. It stops after
// --count publishes or --duration, whichever first, and is finished when the
// last answer is in.
//
// Each publish picks a channel, takes that channel's next number (cseq,
// from 0) and carries the stamp sb:<ch>:<cseq>:<send_ns>. A 2xx answer
// makes it published: its cseq joins the channel's set of successful
// publishes and `counted[ch]` deliveries are expected. Any other answer, a
// connection that closes before answering, or a failed connect is an error;
// failed publishes are not retried. A connection that closes is reopened at
// once (then every 200 ms while that fails).
//
// Threads: state belongs to the publisher's thread; live() is readable from
// any thread, totals() after join().

#include <time.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sse-bench/chunked_decoder.hpp"
#include "sse-bench/histogram.hpp"
#include "sse-bench/options.hpp"
#include "sse-bench/response_head.hpp"
#include "sse-bench/seq_set.hpp"
#include "sse-bench/target.hpp"
#include "sse-bench/wakeable_epoll.hpp"

namespace sse::bench {

struct PublishLive {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> expected{0};
  std::atomic<uint64_t> connected{0};     // connections open now
  std::atomic<bool> sending_done{false};  // nothing more will be sent
  std::atomic<bool> finished{false};      // and every answer is in (or stopped)
  std::atomic<bool> unreachable{false};   // no connection could be made at all
};

struct PublishTotals {
  uint64_t sent = 0;
  uint64_t published = 0;
  uint64_t failed = 0;  // non-2xx answers and requests lost to a closed connection
  uint64_t connect_failures = 0;
  uint64_t connects = 0;  // successful connects
  uint64_t behind = 0;
  uint64_t expected = 0;
  std::map<std::string, uint64_t> errors_by_status;  // "429", "closed", "connect_error"
  std::string first_connect_error;
  std::vector<SeqSet> ok;  // per channel: cseqs answered 2xx
  Histogram latency_us = make_latency_histogram();
  int64_t first_send_ns = 0;
  int64_t last_send_ns = 0;
  int64_t last_answer_ns = 0;
};

class Publisher {
 public:
  Publisher(const Settings& settings, const Address& address);
  ~Publisher();  // stops and joins
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Starts the thread, which opens the connections and waits for go().
  Status start();
  // Starts the schedule at `t0_ns`; counted[ch] subscribers expect each
  // publish to channel ch.
  void go(int64_t t0_ns, std::vector<uint64_t> counted);
  // Ends at once: nothing more is sent, answers still awaited are errors.
  void stop();
  void join();

  const PublishLive& live() const { return live_; }
  const PublishTotals& totals() const { return totals_; }  // after join()

 private:
  enum class State : uint8_t { kDown, kConnecting, kIdle, kBusy };
  struct Connection {
    int fd = -1;
    uint32_t generation = 0;
    State state = State::kDown;
    bool ever_tried = false;
    bool answered = false;  // since this connect
    int64_t retry_at_ns = 0;
    std::string out;
    std::string in;
    bool have_head = false;
    ResponseHead head;
    ChunkedDecoder chunks;
    uint32_t channel = 0;
    uint64_t cseq = 0;
    int64_t sent_ns = 0;
  };

  void run();
  void schedule(int64_t now);
  void send_publish(Connection& c, int64_t now);
  void connect(Connection& c, int64_t now);
  void on_ready(Connection& c, uint32_t events, int64_t now);
  void flush(Connection& c);
  void on_readable(Connection& c, int64_t now);
  void read_answer(Connection& c, int64_t now);
  void answered(Connection& c, int64_t now);
  void request_failed(Connection& c, const std::string& reason);
  void lost_connection(Connection& c, int64_t now);
  void connect_failed(Connection& c, int64_t now);
  void watch(Connection& c, uint32_t events, bool add);
  timespec next_timeout(int64_t now) const;
  void publish_live();

  const Settings& settings_;
  const PublishSettings& publish_;
  Address address_;
  WakeableEpoll epoll_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> go_{false};
  int64_t t0_ns_ = 0;
  std::vector<uint64_t> counted_;

  std::vector<Connection> connections_;
  std::vector<size_t> idle_;
  size_t in_flight_ = 0;
  uint64_t connected_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t blocked_seq_ = ~uint64_t{0};  // the last publish counted behind
  std::vector<uint64_t> next_cseq_;
  bool sending_done_ = false;
  uint64_t initial_failures_ = 0;
  std::mt19937_64 rng_;
  std::vector<char> buffer_;
  std::string body_;
  std::string stamp_;

  PublishLive live_;
  PublishTotals totals_;
};

}  // namespace sse::bench
