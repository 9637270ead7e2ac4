#include "sse/hub/subscription.hpp"

#include <algorithm>

namespace sse {

bool RoomPolicy::may_enter(std::string_view room, const std::vector<std::string>& roles) const {
  auto it = private_rooms_.find(room);
  if (it == private_rooms_.end()) return true;
  return std::any_of(it->second.begin(), it->second.end(), [&](const std::string& allowed) {
    return std::find(roles.begin(), roles.end(), allowed) != roles.end();
  });
}

bool Subscription::accepts(const Event& event) const {
  if (event.channel != channel) return false;
  switch (channel) {
    case Channel::kNotifications:
      return event.audience.user_id.empty() || event.audience.user_id == user_id;
    case Channel::kRealtime:
      return entity_type.empty() || event.audience.entity_type == entity_type;
    case Channel::kChat:
      if (!room.empty()) return event.audience.room == room;
      return !rooms || rooms->may_enter(event.audience.room, roles);
    case Channel::kStatus:
      return true;
  }
  return false;
}

}  // namespace sse
