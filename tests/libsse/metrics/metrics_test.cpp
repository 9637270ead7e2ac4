#include "sse/metrics/metrics.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using sse::Channel;
using sse::CloseReason;
using sse::Gauges;
using sse::Metrics;
using sse::Rejection;

namespace {

struct Sample {
  std::string name;
  std::string labels;  // "{a=\"b\"}" or ""
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // metric name -> counter | gauge
  std::vector<Sample> samples;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Parses the Prometheus text format 0.0.4 strictly enough for our output:
// HELP then TYPE before a metric's samples, samples of one metric together,
// label values quoted, values numbers.
Exposition parse_exposition(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (\S+))");
  Exposition out;
  std::string helped, typed;
  std::set<std::string> finished;  // metrics whose samples are over
  std::set<std::pair<std::string, std::string>> seen;
  REQUIRE_FALSE(text.empty());
  REQUIRE(text.back() == '\n');
  for (const std::string& line : lines_of(text)) {
    CAPTURE(line);
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      REQUIRE(out.types.count(m[1]) == 0);  // one HELP per metric
      if (!typed.empty()) finished.insert(typed);
      helped = m[1];
      typed.clear();
    } else if (std::regex_match(line, m, kType)) {
      REQUIRE(m[1] == helped);  // TYPE right after its HELP
      REQUIRE(out.types.count(m[1]) == 0);
      typed = m[1];
      out.types[typed] = m[2];
    } else if (std::regex_match(line, m, kSample)) {
      REQUIRE(m[1] == typed);  // under its own HELP/TYPE, not another metric's
      REQUIRE(finished.count(m[1]) == 0);
      REQUIRE(seen.insert({m[1], m[2]}).second);  // no sample twice
      char* end = nullptr;
      const std::string value = m[3];
      const double parsed = std::strtod(value.c_str(), &end);
      REQUIRE(end == value.c_str() + value.size());
      out.samples.push_back({m[1], m[2], parsed});
    } else {
      FAIL("not a line of the Prometheus text format");
    }
  }
  return out;
}

double value_of(const Exposition& e, const std::string& name, const std::string& labels = "") {
  for (const Sample& s : e.samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  FAIL("no sample " << name << labels);
  return -1;
}

}  // namespace

TEST_CASE("metrics: labels name every enum value, distinctly", "[metrics]") {
  std::set<std::string_view> rejections;
  for (size_t i = 0; i < sse::kRejectionCount; ++i) {
    rejections.insert(sse::rejection_label(static_cast<Rejection>(i)));
  }
  CHECK(rejections.size() == sse::kRejectionCount);
  CHECK(rejections.count("") == 0);
  CHECK(sse::rejection_label(Rejection::kUnauthorized) == "unauthorized");
  CHECK(sse::rejection_label(Rejection::kRateLimited) == "rate_limited");
  CHECK(sse::rejection_label(Rejection::kStreamLimitUser) == "stream_limit_user");
  CHECK(sse::rejection_label(Rejection::kInternal) == "internal");

  std::set<std::string_view> reasons;
  for (size_t i = 0; i < sse::kCloseReasonCount; ++i) {
    reasons.insert(sse::close_reason_label(static_cast<CloseReason>(i)));
  }
  CHECK(reasons.size() == sse::kCloseReasonCount);
  CHECK(sse::close_reason_label(CloseReason::kClientGone) == "client_gone");
  CHECK(sse::close_reason_label(CloseReason::kSlowClient) == "slow_client");
  CHECK(sse::close_reason_label(CloseReason::kWriteError) == "write_error");
}

TEST_CASE("metrics: render_prometheus writes valid text exposition format", "[metrics]") {
  Metrics metrics;
  Gauges gauges;
  const Exposition e = parse_exposition(sse::render_prometheus(metrics, gauges));
  REQUIRE_FALSE(e.samples.empty());
  for (const auto& [name, type] : e.types) {
    CAPTURE(name);
    const bool ends_in_total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    CHECK(ends_in_total == (type == "counter"));
    CHECK(name.rfind("sse_", 0) == 0);
  }
  // Every metric has at least one sample, and every labelled family has one
  // sample per enum value.
  std::map<std::string, int> per_metric;
  for (const Sample& s : e.samples) ++per_metric[s.name];
  for (const auto& [name, type] : e.types) CHECK(per_metric[name] >= 1);
  CHECK(per_metric["sse_open_streams"] == static_cast<int>(sse::kChannelCount));
  CHECK(per_metric["sse_streams_opened_total"] == static_cast<int>(sse::kChannelCount));
  CHECK(per_metric["sse_events_published_total"] == static_cast<int>(sse::kChannelCount));
  CHECK(per_metric["sse_streams_closed_total"] == static_cast<int>(sse::kCloseReasonCount));
  CHECK(per_metric["sse_rejections_total"] == static_cast<int>(sse::kRejectionCount));
  // A fresh set of counters is all zeros.
  for (const Sample& s : e.samples) {
    CAPTURE(s.name, s.labels);
    CHECK(s.value == 0);
  }
}

TEST_CASE("metrics: render_prometheus shows the counters and gauges", "[metrics]") {
  Metrics m;
  m.events_published[static_cast<size_t>(Channel::kChat)] = 7;
  m.streams_opened[static_cast<size_t>(Channel::kNotifications)] = 3;
  m.count(CloseReason::kSlowClient);
  m.count(CloseReason::kSlowClient);
  m.count(CloseReason::kIdleTimeout);
  m.count(Rejection::kRateLimited);
  m.count(Rejection::kStreamLimitUser);
  m.count(Rejection::kStreamLimitUser);
  m.events_delivered = 12345678901ULL;
  m.bytes_sent = 99;
  m.heartbeats_sent = 4;
  m.replays = 5;
  m.replays_incomplete = 1;
  m.replayed_events = 40;
  m.http_requests = 17;
  Gauges g;
  g.open_streams[static_cast<size_t>(Channel::kRealtime)] = 2;
  g.open_streams[static_cast<size_t>(Channel::kStatus)] = 9;
  g.log_events = 100;
  g.log_head = 250;
  g.queued_events = 6;
  g.uptime_seconds = 12.5;

  const std::string text = sse::render_prometheus(m, g);
  const Exposition e = parse_exposition(text);
  CHECK(value_of(e, "sse_events_published_total", R"({stream="chat"})") == 7);
  CHECK(value_of(e, "sse_events_published_total", R"({stream="realtime"})") == 0);
  CHECK(value_of(e, "sse_streams_opened_total", R"({stream="notifications"})") == 3);
  CHECK(value_of(e, "sse_streams_closed_total", R"({reason="slow_client"})") == 2);
  CHECK(value_of(e, "sse_streams_closed_total", R"({reason="idle_timeout"})") == 1);
  CHECK(value_of(e, "sse_streams_closed_total", R"({reason="kicked"})") == 0);
  CHECK(value_of(e, "sse_slow_client_drops_total") == 2);
  CHECK(value_of(e, "sse_rejections_total", R"({reason="rate_limited"})") == 1);
  CHECK(value_of(e, "sse_rejections_total", R"({reason="stream_limit_user"})") == 2);
  CHECK(value_of(e, "sse_heartbeats_sent_total") == 4);
  CHECK(value_of(e, "sse_bytes_sent_total") == 99);
  CHECK(value_of(e, "sse_replays_total") == 5);
  CHECK(value_of(e, "sse_replays_incomplete_total") == 1);
  CHECK(value_of(e, "sse_replayed_events_total") == 40);
  CHECK(value_of(e, "sse_http_requests_total") == 17);
  CHECK(value_of(e, "sse_open_streams", R"({stream="realtime"})") == 2);
  CHECK(value_of(e, "sse_open_streams", R"({stream="status"})") == 9);
  CHECK(value_of(e, "sse_open_streams", R"({stream="chat"})") == 0);
  CHECK(value_of(e, "sse_log_events") == 100);
  CHECK(value_of(e, "sse_log_head_id") == 250);
  CHECK(value_of(e, "sse_queued_events") == 6);
  CHECK(value_of(e, "sse_uptime_seconds") == 12.5);
  // Large counters are written in full, not in exponent form.
  CHECK(text.find("\nsse_events_delivered_total 12345678901\n") != std::string::npos);
}
