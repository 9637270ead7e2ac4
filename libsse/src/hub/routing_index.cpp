#include "hub/routing_index.hpp"

namespace sse::detail {

RoutingIndex::Place RoutingIndex::place_of(const Subscription& sub) {
  switch (sub.channel) {
    case Channel::kNotifications:
      return {&notifications_by_user_, sub.user_id, nullptr};
    case Channel::kChat:
      if (sub.room.empty()) return {nullptr, "", &chat_every_room_};
      return {&chat_by_room_, sub.room, nullptr};
    case Channel::kRealtime:
      if (sub.entity_type.empty()) return {nullptr, "", &realtime_every_type_};
      return {&realtime_by_type_, sub.entity_type, nullptr};
    case Channel::kStatus:
      break;
  }
  return {nullptr, "", &status_};
}

void RoutingIndex::insert(RoutedStream* stream) {
  Place place = place_of(stream->subscription);
  Bucket& bucket = place.keyed ? (*place.keyed)[place.key] : *place.list;
  stream->slot = static_cast<uint32_t>(bucket.size());
  bucket.push_back(stream);
  ++size_;
}

void RoutingIndex::erase(RoutedStream* stream) {
  Place place = place_of(stream->subscription);
  Bucket* bucket = place.list;
  Buckets::iterator keyed;
  if (place.keyed) {
    keyed = place.keyed->find(place.key);
    if (keyed == place.keyed->end()) return;
    bucket = &keyed->second;
  }
  const uint32_t slot = stream->slot;
  if (slot >= bucket->size() || (*bucket)[slot] != stream) return;  // not in the index
  // Swap with the last: O(1), and order within a bucket means nothing.
  (*bucket)[slot] = bucket->back();
  (*bucket)[slot]->slot = slot;
  bucket->pop_back();
  --size_;
  // An empty keyed bucket goes, so that a broadcast visits only users online.
  if (place.keyed && bucket->empty()) place.keyed->erase(keyed);
}

void RoutingIndex::visit(const Bucket& bucket, const Event& event,
                         std::vector<std::vector<StreamId>>& targets) {
  for (const RoutedStream* stream : bucket) {
    if (stream->live && stream->subscription.accepts(event)) {
      targets[stream->loop].push_back(stream->id);
    }
  }
}

void RoutingIndex::visit(const Buckets& buckets, const std::string& key, const Event& event,
                         std::vector<std::vector<StreamId>>& targets) {
  auto it = buckets.find(key);
  if (it != buckets.end()) visit(it->second, event, targets);
}

void RoutingIndex::collect(const Event& event, std::vector<std::vector<StreamId>>& targets) const {
  const Audience& audience = event.audience;
  switch (event.channel) {
    case Channel::kNotifications:
      if (!audience.user_id.empty())
        return visit(notifications_by_user_, audience.user_id, event, targets);
      for (const auto& [user, bucket] : notifications_by_user_) visit(bucket, event, targets);
      return;
    case Channel::kChat:
      visit(chat_by_room_, audience.room, event, targets);
      return visit(chat_every_room_, event, targets);
    case Channel::kRealtime:
      visit(realtime_by_type_, audience.entity_type, event, targets);
      return visit(realtime_every_type_, event, targets);
    case Channel::kStatus:
      return visit(status_, event, targets);
  }
}

}  // namespace sse::detail
