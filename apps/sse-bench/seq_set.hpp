#pragma once

// A set of small non-negative integers as a bitset that grows on demand: the
// publish numbers (cseq) of one channel a subscriber has received, or that
// were published successfully. One bit per number up to the largest seen, so
// a subscriber costs one bit per event of its channel.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace sse::bench {

class SeqSet {
 public:
  // Adds `seq`; false when it was already there.
  bool insert(uint64_t seq) {
    const size_t word = static_cast<size_t>(seq >> 6);
    if (word >= words_.size()) words_.resize(grown_size(word + 1), 0);
    const uint64_t bit = uint64_t{1} << (seq & 63);
    if (words_[word] & bit) return false;
    words_[word] |= bit;
    ++size_;
    return true;
  }

  bool contains(uint64_t seq) const {
    const size_t word = static_cast<size_t>(seq >> 6);
    return word < words_.size() && (words_[word] >> (seq & 63)) & 1;
  }

  uint64_t size() const { return size_; }

  // |this ∩ other|.
  uint64_t count_common(const SeqSet& other) const {
    const size_t n = std::min(words_.size(), other.words_.size());
    uint64_t common = 0;
    for (size_t i = 0; i < n; ++i) common += std::popcount(words_[i] & other.words_[i]);
    return common;
  }

 private:
  // Doubling (from 4 words), so growing one event at a time costs O(1) amortized.
  size_t grown_size(size_t needed) const {
    size_t size = words_.empty() ? 4 : words_.size();
    while (size < needed) size *= 2;
    return size;
  }

  std::vector<uint64_t> words_;
  uint64_t size_ = 0;
};

}  // namespace sse::bench
