#pragma once

// The routing index: which open streams an event may be for, found by the
// event's audience instead of by looking at every stream.
//
//   notifications  by user id; an event for no user (a broadcast) visits
//                  every user's streams
//   chat           by room; plus the streams that follow every room (their
//                  RoomPolicy is checked per event, by Subscription::accepts)
//   realtime       by entity type; plus the streams with no entity filter
//   status         one list
//
// Each stream sits in exactly one bucket, chosen by its subscription. The
// index only narrows the search: collect() still asks Subscription::accepts
// of every candidate, so the streams an event reaches are exactly those a scan
// of every stream would find (and those a replay would pick).
//
// Not thread-safe: StreamRegistry holds its lock around every call.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "sse/event/event.hpp"
#include "sse/hub/subscription.hpp"
#include "sse/stream/writer_loop.hpp"

namespace sse::detail {

// What the index knows of one stream. The registry owns it (its address is
// stable from insert() to erase()) and may flip `live`; `slot` is the index's.
struct RoutedStream {
  StreamId id = 0;
  Subscription subscription;
  uint32_t loop = 0;  // which writer loop owns the stream
  uint32_t slot = 0;  // its position in its bucket
  bool live = true;   // false while a replay feeds it: live routing skips it
};

class RoutingIndex {
 public:
  // `stream` must stay where it is until erase(stream).
  void insert(RoutedStream* stream);
  void erase(RoutedStream* stream);

  // Appends to targets[loop] the id of every live stream that accepts
  // `event`. `targets` has one entry per writer loop.
  void collect(const Event& event, std::vector<std::vector<StreamId>>& targets) const;

  size_t size() const { return size_; }

 private:
  using Bucket = std::vector<RoutedStream*>;
  using Buckets = std::unordered_map<std::string, Bucket>;

  // The keyed buckets a stream may sit in, with its key, or null and the
  // unkeyed bucket it sits in.
  struct Place {
    Buckets* keyed = nullptr;
    std::string key;
    Bucket* list = nullptr;
  };
  Place place_of(const Subscription& subscription);

  static void visit(const Bucket& bucket, const Event& event,
                    std::vector<std::vector<StreamId>>& targets);
  static void visit(const Buckets& buckets, const std::string& key, const Event& event,
                    std::vector<std::vector<StreamId>>& targets);

  Buckets notifications_by_user_;
  Buckets chat_by_room_;
  Bucket chat_every_room_;
  Buckets realtime_by_type_;
  Bucket realtime_every_type_;
  Bucket status_;
  size_t size_ = 0;
};

}  // namespace sse::detail
