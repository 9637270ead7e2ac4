#include "hub/chat_presence.hpp"

namespace sse::detail {

bool ChatPresence::counts(const Subscription& subscription) {
  return subscription.channel == Channel::kChat && !subscription.room.empty();
}

std::string ChatPresence::key(const std::string& room, const std::string& user_id) {
  return room + '\n' + user_id;  // a room name has no '\n': the key is unambiguous
}

bool ChatPresence::enter(const Subscription& subscription) {
  if (!counts(subscription)) return false;
  std::lock_guard lock(mu_);
  return ++streams_[key(subscription.room, subscription.user_id)] == 1;
}

bool ChatPresence::leave(const Subscription& subscription) {
  if (!counts(subscription)) return false;
  std::lock_guard lock(mu_);
  auto it = streams_.find(key(subscription.room, subscription.user_id));
  if (it == streams_.end()) return false;
  if (--it->second > 0) return false;
  streams_.erase(it);
  return true;
}

size_t ChatPresence::streams_in(const std::string& room, const std::string& user_id) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(key(room, user_id));
  return it == streams_.end() ? 0 : it->second;
}

}  // namespace sse::detail
