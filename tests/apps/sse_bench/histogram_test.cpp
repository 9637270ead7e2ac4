#include "sse-bench/histogram.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

using sse::bench::Histogram;
using sse::bench::make_latency_histogram;

namespace {

// Within `relative` of `want`.
bool near(int64_t got, double want, double relative) {
  return std::abs(static_cast<double>(got) - want) <= want * relative;
}

}  // namespace

TEST_CASE("sse-bench histogram: empty reads zero everywhere", "[sse-bench]") {
  const Histogram h = make_latency_histogram();
  CHECK(h.count() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.mean() == 0);
  CHECK(h.value_at_percentile(50) == 0);
  CHECK(h.value_at_percentile(100) == 0);
}

TEST_CASE("sse-bench histogram: fixed memory of 3328 counters for 1 us to one hour",
          "[sse-bench]") {
  const Histogram h = make_latency_histogram();
  CHECK(h.counter_count() == 3328);
  CHECK(h.highest() == 3'600'000'000LL);
  CHECK(h.significant_digits() == 2);
}

TEST_CASE("sse-bench histogram: percentiles of 1 to 100000 within 1 percent", "[sse-bench]") {
  Histogram h = make_latency_histogram();
  for (int64_t v = 1; v <= 100000; ++v) h.record(v);
  CHECK(h.count() == 100000);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100000);
  CHECK(near(h.value_at_percentile(50), 50000, 0.01));
  CHECK(near(h.value_at_percentile(90), 90000, 0.01));
  CHECK(near(h.value_at_percentile(99), 99000, 0.01));
  CHECK(near(h.value_at_percentile(99.9), 99900, 0.01));
  CHECK(h.value_at_percentile(100) == 100000);
  CHECK(h.mean() == Approx(50000.5));
  // Percentiles never go past the largest value recorded.
  CHECK(h.value_at_percentile(99.999) <= 100000);
}

TEST_CASE("sse-bench histogram: small values are exact and large ones within 1 percent",
          "[sse-bench]") {
  const Histogram h = make_latency_histogram();
  for (int64_t v = 0; v < 256; ++v) {
    CHECK(h.lowest_equivalent(v) == v);
    CHECK(h.highest_equivalent(v) == v);
  }
  for (int64_t v : {256LL, 1000LL, 65'535LL, 1'000'000LL, 123'456'789LL, 3'600'000'000LL}) {
    const int64_t low = h.lowest_equivalent(v);
    const int64_t high = h.highest_equivalent(v);
    INFO(v);
    CHECK(low <= v);
    CHECK(v <= high);
    CHECK(static_cast<double>(high - low + 1) / static_cast<double>(low) <= 0.01);
  }
}

TEST_CASE("sse-bench histogram: a single value reads back at every percentile", "[sse-bench]") {
  Histogram h = make_latency_histogram();
  h.record(1234, 10);
  CHECK(h.count() == 10);
  CHECK(h.value_at_percentile(0) == 1234);
  CHECK(h.value_at_percentile(50) == 1234);
  CHECK(h.value_at_percentile(99.9) == 1234);
  CHECK(h.max() == 1234);
  CHECK(h.min() == 1234);
}

TEST_CASE("sse-bench histogram: out of range values are clamped and counted", "[sse-bench]") {
  Histogram h = make_latency_histogram();
  h.record(-5);
  h.record(3'600'000'001LL);
  h.record(INT64_MAX);
  h.record(10);
  CHECK(h.count() == 4);
  CHECK(h.clamped() == 3);
  CHECK(h.min() == 0);
  CHECK(h.max() == 3'600'000'000LL);
  CHECK(h.value_at_percentile(25) == 0);
  CHECK(h.value_at_percentile(100) == 3'600'000'000LL);
}

TEST_CASE("sse-bench histogram: merging equals recording everything in one", "[sse-bench]") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(7.0, 1.5);
  Histogram a = make_latency_histogram(), b = make_latency_histogram(),
            all = make_latency_histogram();
  for (int i = 0; i < 50000; ++i) {
    const auto v = static_cast<int64_t>(latency(rng));
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  REQUIRE(a.merge(b).ok());
  CHECK(a.count() == all.count());
  CHECK(a.max() == all.max());
  CHECK(a.min() == all.min());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    CHECK(a.value_at_percentile(p) == all.value_at_percentile(p));
  }
  // Merging an empty one changes nothing; an empty one takes the other's min.
  Histogram empty = make_latency_histogram();
  REQUIRE(a.merge(empty).ok());
  CHECK(a.count() == all.count());
  REQUIRE(empty.merge(all).ok());
  CHECK(empty.min() == all.min());
}

TEST_CASE("sse-bench histogram: different shapes do not merge", "[sse-bench]") {
  Histogram a(1000, 2), b(1000, 3), c(2000, 2);
  b.record(5);
  CHECK_FALSE(a.merge(b).ok());
  CHECK_FALSE(a.merge(c).ok());
  CHECK(a.count() == 0);
  CHECK_THROWS(Histogram(1, 2));
  CHECK_THROWS(Histogram(1000, 6));
}

TEST_CASE("sse-bench histogram: three significant digits are finer", "[sse-bench]") {
  Histogram h(3'600'000'000LL, 3);
  for (int64_t v = 1; v <= 1'000'000; v += 7) h.record(v);
  CHECK(near(h.value_at_percentile(50), 500000, 0.001));
  CHECK(h.value_at_percentile(100) == h.max());
}
