#pragma once

// What one open stream wants to see. The same predicate decides live routing
// and replay, so a replayed stream sees exactly what it would have seen live.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sse/event/event.hpp"

namespace sse {

// Which roles may enter which chat rooms. Rooms not listed are open to every
// user. Immutable after construction; shared by all subscriptions.
class RoomPolicy {
 public:
  explicit RoomPolicy(std::map<std::string, std::vector<std::string>> private_rooms = {})
      : private_rooms_(private_rooms.begin(), private_rooms.end()) {}
  bool may_enter(std::string_view room, const std::vector<std::string>& roles) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> private_rooms_;
};

struct Subscription {
  Channel channel = Channel::kStatus;
  std::string user_id;  // empty on the (public) status stream
  std::vector<std::string> roles;
  std::string room;         // chat: one room, or empty for every room the user may enter
  std::string entity_type;  // realtime: only this entity type, or empty for all
  std::shared_ptr<const RoomPolicy> rooms;

  // True when an event of the log belongs on this stream.
  bool accepts(const Event& event) const;
};

}  // namespace sse
