#include "sse-bench/report.hpp"

#include <catch2/catch.hpp>

#include "sse-bench/progress.hpp"

using sse::bench::Report;

TEST_CASE("sse-bench report: the JSON has every key scripts read as numbers", "[sse-bench]") {
  Report r;
  r.connections = 300;
  r.established = 299;
  r.refused = 1;
  r.refused_by_status["429"] = 1;
  r.published = 100;
  r.expected = 29900;
  r.received = 29900;
  r.url = "127.0.0.1:1/a?b=\"c\"";
  const std::string json = sse::bench::report_json(r);
  CHECK(json.back() == '\n');
  CHECK(json.find('\n') == json.size() - 1);
  for (const char* key : {"connections",
                          "established",
                          "refused",
                          "dropped",
                          "reconnects",
                          "published",
                          "publish_errors",
                          "expected",
                          "received",
                          "lost",
                          "duplicates",
                          "misrouted",
                          "other_events",
                          "deliveries_per_s",
                          "publish_per_s",
                          "duration_s",
                          "server_cpu_s",
                          "server_cpu_total_s",
                          "server_rss_kb",
                          "server_rss_kb_before",
                          "server_rss_kb_idle",
                          "server_rss_kb_after",
                          "rate",
                          "channels",
                          "threads"}) {
    INFO(key);
    CHECK_THAT(json, Catch::Contains(std::string("\"") + key + "\":"));
  }
  for (const char* object :
       {"refused_by_status", "connect_ms", "publish_latency_ms", "latency_ms"}) {
    CHECK_THAT(json, Catch::Contains(std::string("\"") + object + "\":{"));
  }
  CHECK_THAT(json, Catch::Contains(R"("refused_by_status":{"429":1})"));
  CHECK_THAT(json, Catch::Contains(R"("connect_ms":{"p50":0.000,"p99":0.000,"max":0.000})"));
  CHECK_THAT(json,
             Catch::Contains(
                 R"("latency_ms":{"p50":0.000,"p90":0.000,"p99":0.000,"p999":0.000,"max":0.000})"));
  CHECK_THAT(json, Catch::Contains(R"("server_rss_kb":-1)"));
  CHECK_THAT(json, Catch::Contains(R"("url":"127.0.0.1:1/a?b=\"c\"")"));
}

TEST_CASE("sse-bench report: percentiles are read in milliseconds", "[sse-bench]") {
  auto us = sse::bench::make_latency_histogram();
  for (int v = 1; v <= 1000; ++v) us.record(v * 1000);  // 1..1000 ms
  const auto p = sse::bench::percentiles_ms(us);
  CHECK(p.p50 == Approx(500).epsilon(0.01));
  CHECK(p.p99 == Approx(990).epsilon(0.01));
  CHECK(p.max == Approx(1000));
}

TEST_CASE("sse-bench report: the text names losses and the server", "[sse-bench]") {
  Report r;
  r.publish_url = "h:1/p";
  r.expected = 10;
  r.received = 7;
  r.lost = 3;
  r.server_measured = true;
  r.server_pids_gone = {4242};
  const std::string text = sse::bench::report_text(r);
  CHECK_THAT(text, Catch::Contains("10 expected, 7 received") && Catch::Contains("3 lost"));
  CHECK_THAT(text, Catch::Contains("pid 4242 went away"));
}

TEST_CASE("sse-bench progress: the line shows connections and deliveries", "[sse-bench]") {
  sse::bench::LiveSums s;
  s.connections = 100;
  s.established = 90;
  s.refused = 10;
  s.sent = 5;
  s.published = 5;
  s.received = 450;
  s.expected = 450;
  const std::string line = sse::bench::Progress::format("publishing", 3.5, s, 50, 4500);
  CHECK_THAT(line, Catch::Contains("90/100 up") && Catch::Contains("10 refused") &&
                       Catch::Contains("recv 450/450 (4500/s)"));
}
