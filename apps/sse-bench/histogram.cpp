#include "sse-bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <stdexcept>

namespace sse::bench {

// The layout is HdrHistogram's with a unit of 1: bucket 0 holds 0 ..
// sub_bucket_count-1 one by one; bucket b > 0 holds the upper half of
// sub-buckets with a step of 2^b. Counter index = (b + 1) * half + (s - half).
Histogram::Histogram(int64_t highest, int significant_digits)
    : highest_(highest), digits_(significant_digits) {
  if (highest < 2 || significant_digits < 1 || significant_digits > 5) {
    throw std::invalid_argument("Histogram: highest >= 2 and 1..5 significant digits");
  }
  const int64_t largest_single_unit = 2 * static_cast<int64_t>(std::pow(10, significant_digits));
  const int magnitude =
      static_cast<int>(std::ceil(std::log2(static_cast<double>(largest_single_unit))));
  sub_bucket_half_magnitude_ = std::max(magnitude, 1) - 1;
  sub_bucket_count_ = int64_t{1} << (sub_bucket_half_magnitude_ + 1);
  sub_bucket_half_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = sub_bucket_count_ - 1;
  int buckets = 1;
  for (int64_t untrackable = sub_bucket_count_; untrackable <= highest; untrackable <<= 1) {
    ++buckets;
    if (untrackable > INT64_MAX / 2) break;  // the next doubling would overflow
  }
  counts_.assign(static_cast<size_t>(buckets + 1) * static_cast<size_t>(sub_bucket_half_), 0);
}

int Histogram::bucket_of(int64_t value) const {
  const int pow2_ceiling = 64 - std::countl_zero(static_cast<uint64_t>(value | sub_bucket_mask_));
  return pow2_ceiling - (sub_bucket_half_magnitude_ + 1);
}

size_t Histogram::index_of(int64_t value) const {
  const int bucket = bucket_of(value);
  const int64_t sub_bucket = value >> bucket;
  return static_cast<size_t>(((int64_t{bucket} + 1) << sub_bucket_half_magnitude_) +
                             (sub_bucket - sub_bucket_half_));
}

int64_t Histogram::value_at_index(size_t index) const {
  int64_t bucket = static_cast<int64_t>(index >> sub_bucket_half_magnitude_) - 1;
  int64_t sub_bucket =
      static_cast<int64_t>(index & static_cast<size_t>(sub_bucket_half_ - 1)) + sub_bucket_half_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_;
    bucket = 0;
  }
  return sub_bucket << bucket;
}

int64_t Histogram::lowest_equivalent(int64_t value) const {
  const int bucket = bucket_of(value);
  return (value >> bucket) << bucket;
}

int64_t Histogram::highest_equivalent(int64_t value) const {
  return lowest_equivalent(value) + (int64_t{1} << bucket_of(value)) - 1;
}

void Histogram::record(int64_t value, uint64_t count) {
  if (count == 0) return;
  if (value < 0 || value > highest_) {
    value = value < 0 ? 0 : highest_;
    clamped_ += count;
  }
  counts_[index_of(value)] += count;
  min_ = total_ == 0 ? value : std::min(min_, value);
  max_ = std::max(max_, value);
  total_ += count;
  sum_ += static_cast<long double>(value) * count;
}

Status Histogram::merge(const Histogram& other) {
  if (other.highest_ != highest_ || other.digits_ != digits_) {
    return Error::invalid_argument("histograms of different shapes cannot be merged");
  }
  if (other.total_ == 0) return {};
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = total_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  total_ += other.total_;
  clamped_ += other.clamped_;
  sum_ += other.sum_;
  return {};
}

double Histogram::mean() const {
  return total_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(total_));
}

int64_t Histogram::value_at_percentile(double percentile) const {
  if (total_ == 0) return 0;
  if (percentile >= 100.0) return max_;
  const double wanted = std::max(percentile, 0.0) / 100.0 * static_cast<double>(total_);
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(wanted)));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_equivalent(value_at_index(i)), max_);
  }
  return max_;
}

}  // namespace sse::bench
