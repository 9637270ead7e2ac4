#pragma once

// Who is in which chat room: a user is in a room while at least one of their
// chat streams for that room is open. The hub announces "user-joined" when a
// user's first stream enters and "user-left" when the last one leaves.
// Streams that follow every room (no room asked for) are in no room.
//
// Thread-safe. Its lock is a leaf: nothing is called while it is held.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "sse/hub/subscription.hpp"

namespace sse::detail {

class ChatPresence {
 public:
  // Counts the stream in; true when it is its user's first in the room.
  bool enter(const Subscription& subscription);
  // Counts it out; true when it was its user's last in the room. Call it
  // once per enter(), never more.
  bool leave(const Subscription& subscription);
  // Streams `user_id` has open in `room`.
  size_t streams_in(const std::string& room, const std::string& user_id) const;

 private:
  static bool counts(const Subscription& subscription);
  static std::string key(const std::string& room, const std::string& user_id);

  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> streams_;  // "room\nuser" -> open streams
};

}  // namespace sse::detail
