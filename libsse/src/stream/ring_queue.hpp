#pragma once

// A FIFO for a stream's queued chunks that costs nothing on the heap while a
// stream is idle. Most of the time a stream has at most one chunk waiting (the
// preamble, a heartbeat, one event between two flushes), so one slot lives
// inline; a second chunk moves the queue into a heap ring (4 slots, doubling
// when full), and the ring is given back the moment the queue empties. An
// idle stream therefore holds no heap storage, where a std::deque holds about
// 600 bytes before it holds anything.
//
// Not thread-safe (a writer loop's thread alone touches a stream). Neither
// copyable nor movable: it sits inside a stream that stays where it is.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace sse::detail {

template <typename T>
class RingQueue {
 public:
  RingQueue() = default;
  ~RingQueue() { clear(); }
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Slots held: 1 (inline) while at most one item has been waiting since the
  // queue was last empty.
  size_t capacity() const { return capacity_; }
  bool on_heap() const { return heap_ != nullptr; }

  // The i-th item from the front; i < size().
  T& operator[](size_t i) { return slots()[(head_ + i) & (capacity_ - 1)]; }
  const T& operator[](size_t i) const { return slots()[(head_ + i) & (capacity_ - 1)]; }
  T& front() { return (*this)[0]; }

  void push_back(T value) {
    if (size_ == capacity_) grow();
    ::new (static_cast<void*>(storage() + ((head_ + size_) & (capacity_ - 1)))) T(std::move(value));
    ++size_;
  }

  // Puts `value` before every queued item.
  void push_front(T value) {
    if (size_ == capacity_) grow();
    const uint32_t slot = (head_ + capacity_ - 1) & (capacity_ - 1);
    ::new (static_cast<void*>(storage() + slot)) T(std::move(value));
    head_ = slot;
    ++size_;
  }

  // Drops the front item (size() > 0); an emptied queue gives its heap ring back.
  void pop_front() {
    std::destroy_at(&front());
    head_ = (head_ + 1) & (capacity_ - 1);
    if (--size_ == 0) release();
  }

  void clear() {
    while (size_ > 0) {
      std::destroy_at(&front());
      head_ = (head_ + 1) & (capacity_ - 1);
      --size_;
    }
    release();
  }

 private:
  static constexpr uint32_t kFirstHeapCapacity = 4;

  // Where the slots are, for constructing an item in an empty one.
  T* storage() { return heap_ ? heap_ : reinterpret_cast<T*>(inline_); }
  // The slots, for reaching items that live in them.
  T* slots() { return heap_ ? heap_ : std::launder(reinterpret_cast<T*>(inline_)); }
  const T* slots() const {
    return heap_ ? heap_ : std::launder(reinterpret_cast<const T*>(inline_));
  }

  // Moves the items, in order, to a ring twice as large (at least 4 slots).
  void grow() {
    const uint32_t bigger = heap_ ? capacity_ * 2 : kFirstHeapCapacity;
    T* ring = std::allocator<T>().allocate(bigger);  // throws bad_alloc: nothing moved yet
    for (uint32_t i = 0; i < size_; ++i) {
      T& from = (*this)[i];
      ::new (static_cast<void*>(&ring[i])) T(std::move(from));
      std::destroy_at(&from);
    }
    if (heap_) std::allocator<T>().deallocate(heap_, capacity_);
    heap_ = ring;
    capacity_ = bigger;
    head_ = 0;
  }

  // Empty: back to the inline slot.
  void release() {
    if (heap_) std::allocator<T>().deallocate(heap_, capacity_);
    heap_ = nullptr;
    capacity_ = 1;
    head_ = 0;
  }

  T* heap_ = nullptr;  // null: the one inline slot is the ring
  uint32_t head_ = 0;
  uint32_t size_ = 0;
  uint32_t capacity_ = 1;  // a power of two
  alignas(T) std::byte inline_[sizeof(T)];
};

}  // namespace sse::detail
