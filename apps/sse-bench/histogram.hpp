#pragma once

// A log-linear histogram of non-negative integers in the manner of
// HdrHistogram (Gil Tene): values up to `highest` are kept with a relative
// error under 10^-digits, in fixed memory decided at construction, and two
// histograms of the same shape add up exactly. sse-bench keeps latencies in
// microseconds, 1 µs to one hour at 2 significant digits: 3,328 counters
// (26 KiB) per histogram, whatever the number of samples.
//
// Not thread-safe: each thread records into its own and they are merged.

#include <cstdint>
#include <vector>

#include "sse/util/result.hpp"

namespace sse::bench {

class Histogram {
 public:
  // `highest` >= 2, `significant_digits` in 1..5.
  Histogram(int64_t highest, int significant_digits);

  // Records `value` (`count` times). A negative value counts as 0, one above
  // highest() as highest(); both are counted in clamped().
  void record(int64_t value, uint64_t count = 1);

  // Adds `other`'s counts. An error (nothing added) when the shapes differ.
  Status merge(const Histogram& other);

  uint64_t count() const { return total_; }
  uint64_t clamped() const { return clamped_; }
  // Exact smallest and largest recorded value (after clamping); 0 when empty.
  int64_t min() const { return total_ ? min_ : 0; }
  int64_t max() const { return max_; }
  double mean() const;

  // The value at `percentile` (0..100): the largest value equivalent to the
  // bucket where the cumulative count reaches percentile% of all samples,
  // capped at max(). 0 when empty. percentile 100 is max().
  int64_t value_at_percentile(double percentile) const;

  int64_t highest() const { return highest_; }
  int significant_digits() const { return digits_; }
  // Values in [lowest_equivalent(v), highest_equivalent(v)] share a counter.
  int64_t lowest_equivalent(int64_t value) const;
  int64_t highest_equivalent(int64_t value) const;
  size_t counter_count() const { return counts_.size(); }

 private:
  size_t index_of(int64_t value) const;
  int64_t value_at_index(size_t index) const;
  int bucket_of(int64_t value) const;

  int64_t highest_;
  int digits_;
  int sub_bucket_half_magnitude_ = 0;
  int64_t sub_bucket_count_ = 0;
  int64_t sub_bucket_half_ = 0;
  int64_t sub_bucket_mask_ = 0;
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t clamped_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  long double sum_ = 0;
};

// The histogram sse-bench uses for latencies: microseconds, 1 µs .. 1 hour,
// 2 significant digits.
inline Histogram make_latency_histogram() { return Histogram(3'600'000'000LL, 2); }

}  // namespace sse::bench
