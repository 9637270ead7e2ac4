#include "sse/hub/subscription.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

using sse::Channel;
using sse::Event;
using sse::RoomPolicy;
using sse::Subscription;

namespace {

Event event_on(Channel channel, std::string type, sse::Audience audience = {}) {
  Event e;
  e.id = 1;
  e.channel = channel;
  e.type = std::move(type);
  e.audience = std::move(audience);
  return e;
}

Event notification_for(std::string user) {
  return event_on(Channel::kNotifications, "notification", {std::move(user), "", ""});
}
Event chat_in(std::string room) { return event_on(Channel::kChat, "message", {"", room, ""}); }
Event realtime_on(std::string entity_type) {
  return event_on(Channel::kRealtime, "update", {"", "", std::move(entity_type)});
}

std::shared_ptr<const RoomPolicy> ops_for_admins() {
  return std::make_shared<const RoomPolicy>(std::map<std::string, std::vector<std::string>>{
      {"ops", {"admin"}}, {"staff", {"admin", "support"}}});
}

}  // namespace

TEST_CASE("room policy: unlisted rooms are open, listed ones need one of their roles", "[hub]") {
  RoomPolicy policy({{"ops", {"admin"}}, {"staff", {"admin", "support"}}, {"sealed", {}}});
  const std::vector<std::string> user = {"user"};
  const std::vector<std::string> admin = {"user", "admin"};
  const std::vector<std::string> support = {"support"};
  const std::vector<std::string> none = {};

  CHECK(policy.may_enter("general", none));
  CHECK(policy.may_enter("general", user));
  CHECK(policy.may_enter("", user));

  CHECK_FALSE(policy.may_enter("ops", user));
  CHECK_FALSE(policy.may_enter("ops", none));
  CHECK_FALSE(policy.may_enter("ops", support));
  CHECK(policy.may_enter("ops", admin));

  CHECK(policy.may_enter("staff", admin));
  CHECK(policy.may_enter("staff", support));
  CHECK_FALSE(policy.may_enter("staff", user));

  CHECK_FALSE(policy.may_enter("sealed", admin));  // listed with no roles: nobody

  // Room names and roles match exactly.
  CHECK(policy.may_enter("Ops", user));
  CHECK_FALSE(policy.may_enter("ops", {"Admin"}));
}

TEST_CASE("room policy: the default policy opens every room", "[hub]") {
  RoomPolicy policy;
  CHECK(policy.may_enter("ops", {}));
}

TEST_CASE("subscription: an event of another channel is never accepted", "[hub]") {
  const Channel channels[] = {Channel::kNotifications, Channel::kRealtime, Channel::kChat,
                              Channel::kStatus};
  for (Channel sub_channel : channels) {
    Subscription sub;
    sub.channel = sub_channel;
    sub.user_id = "alice";
    sub.roles = {"user", "admin"};
    for (Channel event_channel : channels) {
      CAPTURE(static_cast<int>(sub_channel), static_cast<int>(event_channel));
      // An audience that every filter would let through on its own channel.
      Event e = event_on(event_channel, "x", {"", "", ""});
      CHECK(sub.accepts(e) == (sub_channel == event_channel));
    }
  }
}

TEST_CASE("subscription: notifications go to their recipient, or to everyone", "[hub]") {
  Subscription alice;
  alice.channel = Channel::kNotifications;
  alice.user_id = "alice";
  alice.roles = {"user"};

  CHECK(alice.accepts(notification_for("alice")));
  CHECK_FALSE(alice.accepts(notification_for("bob")));
  CHECK_FALSE(alice.accepts(notification_for("Alice")));
  CHECK_FALSE(alice.accepts(notification_for("alice2")));
  // An empty recipient is a broadcast (system-notification).
  Event broadcast = event_on(Channel::kNotifications, "system-notification");
  CHECK(alice.accepts(broadcast));

  // Room and entity type mean nothing on this channel.
  CHECK(alice.accepts(event_on(Channel::kNotifications, "notification", {"alice", "ops", "x"})));
}

TEST_CASE("subscription: realtime streams filter by entity type when asked", "[hub]") {
  Subscription all;
  all.channel = Channel::kRealtime;
  all.user_id = "alice";
  CHECK(all.accepts(realtime_on("order")));
  CHECK(all.accepts(realtime_on("user")));
  CHECK(all.accepts(realtime_on("")));

  Subscription orders = all;
  orders.entity_type = "order";
  CHECK(orders.accepts(realtime_on("order")));
  CHECK_FALSE(orders.accepts(realtime_on("orders")));
  CHECK_FALSE(orders.accepts(realtime_on("Order")));
  CHECK_FALSE(orders.accepts(realtime_on("user")));
  CHECK_FALSE(orders.accepts(realtime_on("")));
}

TEST_CASE("subscription: a chat stream on one room sees that room only", "[hub]") {
  Subscription sub;
  sub.channel = Channel::kChat;
  sub.user_id = "alice";
  sub.roles = {"user"};
  sub.room = "general";
  sub.rooms = ops_for_admins();
  CHECK(sub.accepts(chat_in("general")));
  CHECK_FALSE(sub.accepts(chat_in("random")));
  CHECK_FALSE(sub.accepts(chat_in("ops")));
  CHECK_FALSE(sub.accepts(chat_in("General")));
  CHECK_FALSE(sub.accepts(chat_in("")));
  CHECK(sub.accepts(event_on(Channel::kChat, "user-joined", {"", "general", ""})));
  CHECK(sub.accepts(event_on(Channel::kChat, "typing", {"", "general", ""})));
}

TEST_CASE("subscription: a chat stream on every room sees the rooms its roles allow", "[hub]") {
  Subscription user;
  user.channel = Channel::kChat;
  user.user_id = "alice";
  user.roles = {"user"};
  user.rooms = ops_for_admins();
  CHECK(user.accepts(chat_in("general")));
  CHECK(user.accepts(chat_in("random")));
  CHECK_FALSE(user.accepts(chat_in("ops")));
  CHECK_FALSE(user.accepts(chat_in("staff")));

  Subscription support = user;
  support.roles = {"support"};
  CHECK(support.accepts(chat_in("staff")));
  CHECK_FALSE(support.accepts(chat_in("ops")));

  Subscription admin = user;
  admin.roles = {"user", "admin"};
  CHECK(admin.accepts(chat_in("general")));
  CHECK(admin.accepts(chat_in("ops")));
  CHECK(admin.accepts(chat_in("staff")));

  SECTION("without a policy every room is open") {
    Subscription open = user;
    open.rooms = nullptr;
    CHECK(open.accepts(chat_in("ops")));
  }
}

TEST_CASE("subscription: the status stream accepts every status event", "[hub]") {
  Subscription status;  // the default: public, no user
  REQUIRE(status.channel == Channel::kStatus);
  CHECK(status.accepts(event_on(Channel::kStatus, "status")));
  CHECK(status.accepts(event_on(Channel::kStatus, "maintenance")));
  CHECK(status.accepts(event_on(Channel::kStatus, "status", {"bob", "ops", "order"})));
  CHECK_FALSE(status.accepts(event_on(Channel::kNotifications, "system-notification")));
}
