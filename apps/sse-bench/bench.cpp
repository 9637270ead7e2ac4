#include "sse-bench/bench.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "sse-bench/clock.hpp"
#include "sse-bench/progress.hpp"
#include "sse-bench/publisher.hpp"
#include "sse-bench/server_probe.hpp"
#include "sse-bench/subscriber_loop.hpp"
#include "sse/util/exit_codes.hpp"

namespace sse::bench {
namespace {

constexpr int64_t kTickNs = 20 * kNsPerMs;
constexpr int64_t kSampleNs = 500 * kNsPerMs;

int64_t ms_to_ns(std::chrono::milliseconds d) { return d.count() * kNsPerMs; }
double seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

// The run's state, one method per phase.
class Run {
 public:
  Run(const Settings& settings, const RunHooks& hooks)
      : settings_(settings),
        hooks_(hooks),
        probe_(settings.server_pids),
        progress_(hooks.progress) {}

  Result<Report> execute();

 private:
  Status prepare();
  Status start_subscribers();
  void connect_phase();
  void publish_phase();
  void hold_phase();
  void drain(int64_t deadline_ns);
  void finish();

  bool interrupted() const { return hooks_.interrupted && hooks_.interrupted->load(); }
  // Sleeps one tick; samples the server's RSS and redraws progress when due.
  void tick(const char* phase);
  LiveSums sums() const;
  void fill_subscriber_totals();
  void fill_publish_totals();
  void fill_server();

  const Settings& settings_;
  const RunHooks& hooks_;
  ServerProbe probe_;
  Progress progress_;
  Report report_;

  Address address_;
  Address publish_address_;
  SubscriberPlan plan_;
  std::atomic<int64_t> publish_start_ns_{0};
  std::vector<std::unique_ptr<SubscriberLoop>> loops_;
  std::unique_ptr<Publisher> publisher_;

  int64_t run_start_ns_ = 0;
  int64_t next_sample_ns_ = 0;
  bool sampling_peak_ = false;
  uint64_t rss_peak_kb_ = 0;
  ProcessSample before_, idle_, streaming_start_, streaming_end_, after_;
  int64_t last_receive_ns_ = 0;
  bool streamed_ = false;  // the streaming phase ran (and was sampled)
};

Result<Report> Run::execute() {
  if (auto ok = prepare(); !ok) return ok.error();
  run_start_ns_ = now_ns();
  before_ = probe_.sample();
  if (auto ok = start_subscribers(); !ok) return ok.error();
  connect_phase();
  idle_ = probe_.sample();
  if (report_.established > 0 && !interrupted()) {
    settings_.publish ? publish_phase() : hold_phase();
  }
  finish();
  return report_;
}

Status Run::prepare() {
  const auto& s = settings_;
  auto address = resolve(s.url.host, s.url.port);
  if (!address) return address.error().with_context("--url");
  address_ = *address;
  if (s.publish) {
    auto publish_address = resolve(s.publish->url.host, s.publish->url.port);
    if (!publish_address) return publish_address.error().with_context("--publish-url");
    publish_address_ = *publish_address;
  }
  const int sources = sources_for(s, address_.is_loopback_v4());
  if (sources > 0 && !address_.is_loopback_v4()) {
    return Error::invalid_argument(
        "--source-addresses binds to 127.0.0.x, which reaches only a loopback target, not " +
        address_.to_string());
  }
  for (int n = 0; n < sources; ++n) plan_.sources.push_back(loopback_source(n));

  report_.url = s.url.authority + s.url.path.text();
  report_.connections = s.connections;
  report_.channels = s.channels;
  report_.threads = s.threads;
  report_.source_addresses = sources;
  report_.reconnect = s.reconnect;
  if (s.publish) {
    report_.publish_url = s.publish->url.authority + s.publish->url.path.text();
    report_.rate = s.publish->rate;
    report_.publish_connections = s.publish->connections;
  }
  return {};
}

Status Run::start_subscribers() {
  plan_.settings = &settings_;
  plan_.address = address_;
  plan_.publish_start_ns = &publish_start_ns_;
  plan_.start_ns = now_ns();
  for (int t = 0; t < settings_.threads; ++t) {
    loops_.push_back(std::make_unique<SubscriberLoop>(plan_, t, settings_.threads));
  }
  for (auto& loop : loops_) {
    if (auto ok = loop->start(); !ok) return ok;
  }
  return {};
}

LiveSums Run::sums() const {
  LiveSums sum;
  constexpr auto kRelaxed = std::memory_order_relaxed;
  for (const auto& loop : loops_) {
    const auto& live = loop->live();
    sum.started += live.started.load(kRelaxed);
    sum.established += live.established.load(kRelaxed);
    sum.refused += live.refused.load(kRelaxed);
    sum.received += live.received.load(kRelaxed);
    sum.received_total += live.received_total.load(kRelaxed);
    sum.other_events += live.other_events.load(kRelaxed);
    sum.dropped += live.dropped.load(kRelaxed);
    sum.reconnects += live.reconnects.load(kRelaxed);
  }
  sum.connections = settings_.connections;
  if (publisher_) {
    const auto& live = publisher_->live();
    sum.sent = live.sent.load(kRelaxed);
    sum.published = live.published.load(kRelaxed);
    sum.publish_errors = live.errors.load(kRelaxed);
    sum.expected = live.expected.load(kRelaxed);
  }
  return sum;
}

void Run::tick(const char* phase) {
  std::this_thread::sleep_for(std::chrono::nanoseconds(kTickNs));
  const int64_t now = now_ns();
  if (now < next_sample_ns_) return;
  next_sample_ns_ = now + kSampleNs;
  if (sampling_peak_ && probe_.enabled())
    rss_peak_kb_ = std::max(rss_peak_kb_, probe_.sample().rss_kb);
  progress_.draw(phase, seconds(now - run_start_ns_), sums());
}

void Run::connect_phase() {
  const auto& s = settings_;
  const int64_t schedule_ns =
      s.connect_rate > 0
          ? static_cast<int64_t>(static_cast<double>(s.connections - 1) * 1e9 / s.connect_rate)
          : 0;
  const int64_t deadline = plan_.start_ns + schedule_ns + ms_to_ns(s.connect_timeout);
  while (!interrupted() && now_ns() < deadline) {
    const LiveSums sum = sums();
    if (sum.started == s.connections && sum.established + sum.refused == s.connections) break;
    tick("connecting");
  }
  report_.connect_phase_s = seconds(now_ns() - plan_.start_ns);
  const LiveSums sum = sums();
  report_.established = sum.established;  // read again at the end
}

void Run::publish_phase() {
  publisher_ = std::make_unique<Publisher>(settings_, publish_address_);
  if (auto ok = publisher_->start(); !ok) {
    publisher_.reset();
    report_.publish_unreachable = true;
    return;
  }
  // The warmup, and then at most a second more for the publish connections
  // (so a zero warmup does not start the schedule behind).
  const auto& live = publisher_->live();
  const int64_t warmup_end = now_ns() + ms_to_ns(settings_.warmup);
  const auto connections = static_cast<uint64_t>(settings_.publish->connections);
  while (!interrupted() && !live.unreachable.load() &&
         (now_ns() < warmup_end ||
          (live.connected.load() < connections && now_ns() < warmup_end + kNsPerSecond))) {
    tick("warmup");
  }
  if (interrupted() || publisher_->live().unreachable.load()) return;

  std::vector<uint64_t> counted(settings_.channels, 0);
  for (auto& loop : loops_) {
    const auto per_channel = loop->count_established();
    for (size_t c = 0; c < counted.size(); ++c) counted[c] += per_channel[c];
  }
  const int64_t t0 = now_ns();
  publish_start_ns_.store(t0, std::memory_order_release);
  streaming_start_ = probe_.sample();
  rss_peak_kb_ = streaming_start_.rss_kb;
  sampling_peak_ = true;
  publisher_->go(t0, std::move(counted));

  int64_t answers_deadline = 0;  // once sending is done: how long answers may take
  while (!interrupted() && !live.finished.load() && !live.unreachable.load()) {
    if (live.sending_done.load() && answers_deadline == 0) {
      answers_deadline = now_ns() + ms_to_ns(settings_.drain);
    }
    if (answers_deadline != 0 && now_ns() > answers_deadline) break;
    tick("publishing");
  }
  publisher_->stop();
  publisher_->join();
  drain(now_ns() + ms_to_ns(settings_.drain));
  streaming_end_ = probe_.sample();
  rss_peak_kb_ = std::max(rss_peak_kb_, streaming_end_.rss_kb);
  sampling_peak_ = false;
  streamed_ = true;
}

// Ends at the deadline, or once everything expected has arrived and nothing
// more has come for a quiet moment: the live count also holds deliveries of
// publishes whose answer was lost (a restart cut the connection), so reaching
// `expected` alone does not prove every expected delivery is in.
void Run::drain(int64_t deadline_ns) {
  constexpr int64_t kQuietNs = 300'000'000;
  const uint64_t expected = publisher_->live().expected.load();
  uint64_t seen = sums().received;
  int64_t changed_at = now_ns();
  while (!interrupted() && now_ns() < deadline_ns) {
    const uint64_t received = sums().received;
    if (received != seen) {
      seen = received;
      changed_at = now_ns();
    }
    if (received >= expected && now_ns() - changed_at >= kQuietNs) break;
    tick("draining");
  }
}

void Run::hold_phase() {
  streaming_start_ = probe_.sample();
  rss_peak_kb_ = streaming_start_.rss_kb;
  sampling_peak_ = true;
  const int64_t end = now_ns() + ms_to_ns(settings_.duration);
  while (!interrupted() && now_ns() < end) tick("holding");
  streaming_end_ = probe_.sample();
  rss_peak_kb_ = std::max(rss_peak_kb_, streaming_end_.rss_kb);
  sampling_peak_ = false;
  streamed_ = true;
}

void Run::finish() {
  for (auto& loop : loops_) loop->stop();
  for (auto& loop : loops_) loop->join();
  if (publisher_) {
    publisher_->stop();
    publisher_->join();
  }
  after_ = probe_.sample();
  progress_.clear();
  report_.interrupted = interrupted();
  report_.duration_s = seconds(now_ns() - run_start_ns_);
  fill_subscriber_totals();
  fill_publish_totals();
  fill_server();
}

void Run::fill_subscriber_totals() {
  Report& r = report_;
  Histogram connect_us = make_latency_histogram();
  Histogram latency_us = make_latency_histogram();
  int64_t last_receive_ns = 0;
  r.established = 0;
  for (const auto& loop : loops_) {
    const SubscriberTotals& t = loop->totals();
    r.started += t.started;
    r.established += t.established;
    r.refused += t.refused;
    for (const auto& [status, n] : t.refused_by_status) r.refused_by_status[status] += n;
    if (r.first_connect_error.empty()) r.first_connect_error = t.first_connect_error;
    r.dropped += t.dropped;
    r.reconnects += t.reconnects;
    r.reconnect_errors += t.reconnect_errors;
    r.protocol_errors += t.protocol_errors;
    r.duplicates += t.duplicates;
    r.misrouted += t.misrouted;
    r.stale += t.stale;
    r.other_events += t.other_events;
    r.received_total += t.received_total;
    last_receive_ns = std::max(last_receive_ns, t.last_receive_ns);
    (void)connect_us.merge(t.connect_us);
    (void)latency_us.merge(t.latency_us);
  }
  r.pending = r.started - r.established - r.refused;
  r.connect_ms = percentiles_ms(connect_us);
  r.latency_ms = percentiles_ms(latency_us);
  last_receive_ns_ = last_receive_ns;
}

void Run::fill_publish_totals() {
  if (!publisher_) return;
  Report& r = report_;
  const PublishTotals& t = publisher_->totals();
  r.publish_sent = t.sent;
  r.published = t.published;
  r.publish_errors = t.failed + t.connect_failures;
  r.publish_errors_by_status = t.errors_by_status;
  r.publish_behind = t.behind;
  r.publish_connects = t.connects;
  r.publish_unreachable = t.connects == 0;
  r.publish_latency_ms = percentiles_ms(t.latency_us);
  r.expected = t.expected;
  // Exactly: per counted subscriber, the successful publishes of its channel
  // that reached it (a failed publish that was delivered anyway is not one).
  uint64_t received = 0;
  for (const auto& loop : loops_) {
    loop->for_each_counted(
        [&](uint32_t channel, const SeqSet& got) { received += got.count_common(t.ok[channel]); });
  }
  r.received = received;
  r.lost = r.expected > received ? r.expected - received : 0;
  const int64_t t0 = publish_start_ns_.load();
  if (t0 > 0 && last_receive_ns_ > t0) {
    r.deliveries_per_s = static_cast<double>(received) / seconds(last_receive_ns_ - t0);
  }
  if (t0 > 0 && t.sent > 0) {
    // Open loop: the schedule's span when it was kept (so R publishes over
    // D seconds read as R/s), the real span when it was not.
    const double scheduled = r.rate > 0 ? static_cast<double>(t.sent) / r.rate : 0;
    r.publish_s = std::max(seconds(std::max(t.last_answer_ns, t.last_send_ns) - t0), scheduled);
    if (r.publish_s > 0) r.publish_per_s = static_cast<double>(t.published) / r.publish_s;
  }
}

void Run::fill_server() {
  Report& r = report_;
  if (!probe_.enabled()) return;
  r.server_measured = true;
  r.server_rss_kb_before = static_cast<int64_t>(before_.rss_kb);
  r.server_rss_kb_idle = static_cast<int64_t>(idle_.rss_kb);
  r.server_rss_kb_after = static_cast<int64_t>(after_.rss_kb);
  r.server_cpu_total_s = after_.cpu_s - before_.cpu_s;
  if (streamed_) {
    r.server_cpu_s = streaming_end_.cpu_s - streaming_start_.cpu_s;
    r.server_rss_kb = static_cast<int64_t>(rss_peak_kb_);
  }
  r.server_pids_gone = probe_.gone();
}

}  // namespace

Result<Report> run_bench(const Settings& settings, const RunHooks& hooks) {
  Run run(settings, hooks);
  return run.execute();
}

int exit_code_for(const Settings& settings, const Report& r) {
  if (r.interrupted) return kExitInterrupted;
  if (r.established == 0) return kExitUnavailable;
  if (settings.publish && r.publish_unreachable) return kExitUnavailable;
  if (settings.strict && (r.lost > 0 || r.duplicates > 0 || r.misrouted > 0)) return kExitFailure;
  return kExitOk;
}

Status raise_descriptor_limit(uint64_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && needed > limit.rlim_cur) {
    return Error::invalid_argument(fmt::format(
        "this run needs about {} file descriptors (connections, publish connections and a "
        "margin) but the limit is {} (hard limit {}); lower --connections or raise the limit "
        "(ulimit -Hn, LimitNOFILE=)",
        needed, limit.rlim_cur, limit.rlim_max));
  }
  return {};
}

}  // namespace sse::bench
