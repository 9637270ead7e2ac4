// The routing index finds, for each channel, exactly the streams a scan of
// every open stream with Subscription::accepts would find — live ones only.

#include "hub/routing_index.hpp"

#include <algorithm>
#include <memory>
#include <random>
#include <set>

#include <catch2/catch.hpp>

using namespace sse;
using sse::detail::RoutedStream;
using sse::detail::RoutingIndex;

namespace {

// A set of streams in an index, with the scan the hub used before the index
// to compare against.
class Streams {
 public:
  explicit Streams(size_t loops = 2) : loops_(loops) {}

  StreamId add(Subscription sub, bool live = true) {
    auto stream = std::make_unique<RoutedStream>();
    stream->id = next_id_++;
    stream->loop = stream->id % loops_;
    stream->subscription = std::move(sub);
    stream->live = live;
    index_.insert(stream.get());
    streams_.push_back(std::move(stream));
    return streams_.back()->id;
  }
  void remove(StreamId id) {
    auto it = std::find_if(streams_.begin(), streams_.end(), [&](auto& s) { return s->id == id; });
    REQUIRE(it != streams_.end());
    index_.erase(it->get());
    streams_.erase(it);
  }
  void set_live(StreamId id) {
    for (auto& s : streams_) {
      if (s->id == id) s->live = true;
    }
  }

  // Who the index routes `event` to; also checks each id is under its loop.
  std::set<StreamId> routed(const Event& event) const {
    std::vector<std::vector<StreamId>> targets(loops_);
    index_.collect(event, targets);
    std::set<StreamId> out;
    for (size_t loop = 0; loop < loops_; ++loop) {
      for (StreamId id : targets[loop]) {
        CHECK(id % loops_ == loop);
        CHECK(out.insert(id).second);  // no stream twice
      }
    }
    return out;
  }
  // Who a scan of every stream routes it to (the hub before the index).
  std::set<StreamId> scanned(const Event& event) const {
    std::set<StreamId> out;
    for (auto& s : streams_) {
      if (s->live && s->subscription.accepts(event)) out.insert(s->id);
    }
    return out;
  }
  size_t size() const { return index_.size(); }

 private:
  size_t loops_;
  StreamId next_id_ = 1;
  std::vector<std::unique_ptr<RoutedStream>> streams_;
  RoutingIndex index_;
};

Subscription notifications(const std::string& user) {
  Subscription s;
  s.channel = Channel::kNotifications;
  s.user_id = user;
  return s;
}
Subscription chat(const std::string& user, const std::string& room,
                  std::shared_ptr<const RoomPolicy> rooms = nullptr,
                  std::vector<std::string> roles = {"user"}) {
  Subscription s;
  s.channel = Channel::kChat;
  s.user_id = user;
  s.room = room;
  s.roles = std::move(roles);
  s.rooms = std::move(rooms);
  return s;
}
Subscription realtime(const std::string& entity_type) {
  Subscription s;
  s.channel = Channel::kRealtime;
  s.user_id = entity_type + "-watcher";
  s.entity_type = entity_type;
  return s;
}
Subscription status() {
  Subscription s;
  s.channel = Channel::kStatus;
  return s;
}

Event event(Channel channel, Audience audience) {
  Event e;
  e.id = 1;
  e.channel = channel;
  e.audience = std::move(audience);
  return e;
}
Event note_for(const std::string& user) { return event(Channel::kNotifications, {user, "", ""}); }
Event said_in(const std::string& room) { return event(Channel::kChat, {"", room, ""}); }
Event update_of(const std::string& type) { return event(Channel::kRealtime, {"", "", type}); }

using Ids = std::set<StreamId>;

}  // namespace

TEST_CASE("routing index: notifications go to their user, broadcasts to every user", "[hub]") {
  Streams s;
  const StreamId alice1 = s.add(notifications("alice"));
  const StreamId alice2 = s.add(notifications("alice"));
  const StreamId bob = s.add(notifications("bob"));
  s.add(chat("alice", ""));  // another channel: never a notification's
  CHECK(s.routed(note_for("alice")) == Ids{alice1, alice2});
  CHECK(s.routed(note_for("bob")) == Ids{bob});
  CHECK(s.routed(note_for("carol")).empty());
  CHECK(s.routed(note_for("")) == Ids{alice1, alice2, bob});  // no audience user: everyone
}

TEST_CASE("routing index: chat goes to its room and to the streams of every room it may enter",
          "[hub]") {
  auto policy = std::make_shared<const RoomPolicy>(
      std::map<std::string, std::vector<std::string>>{{"staff", {"admin"}}});
  Streams s;
  const StreamId in_general = s.add(chat("alice", "general", policy));
  const StreamId in_staff = s.add(chat("root", "staff", policy, {"admin"}));
  const StreamId every_user = s.add(chat("bob", "", policy, {"user"}));
  const StreamId every_admin = s.add(chat("root", "", policy, {"admin"}));
  s.add(notifications("alice"));
  CHECK(s.routed(said_in("general")) == Ids{in_general, every_user, every_admin});
  // The RoomPolicy still decides for streams that follow every room.
  CHECK(s.routed(said_in("staff")) == Ids{in_staff, every_admin});
  CHECK(s.routed(said_in("empty")) == Ids{every_user, every_admin});
}

TEST_CASE("routing index: realtime goes by entity type, and to streams without a filter", "[hub]") {
  Streams s;
  const StreamId orders = s.add(realtime("order"));
  const StreamId users = s.add(realtime("user"));
  const StreamId all = s.add(realtime(""));
  CHECK(s.routed(update_of("order")) == Ids{orders, all});
  CHECK(s.routed(update_of("user")) == Ids{users, all});
  CHECK(s.routed(update_of("invoice")) == Ids{all});
  CHECK(s.routed(update_of("")) == Ids{all});
}

TEST_CASE("routing index: status goes to every status stream", "[hub]") {
  Streams s;
  const StreamId a = s.add(status());
  const StreamId b = s.add(status());
  s.add(realtime(""));
  CHECK(s.routed(event(Channel::kStatus, {})) == Ids{a, b});
}

TEST_CASE("routing index: a replaying stream gets nothing live until it is live", "[hub]") {
  Streams s;
  const StreamId live = s.add(chat("alice", "general"));
  const StreamId replaying = s.add(chat("bob", "general"), false);
  const StreamId replaying_all = s.add(notifications("bob"), false);
  CHECK(s.routed(said_in("general")) == Ids{live});
  CHECK(s.routed(note_for("")).empty());
  s.set_live(replaying);
  s.set_live(replaying_all);
  CHECK(s.routed(said_in("general")) == Ids{live, replaying});
  CHECK(s.routed(note_for("")) == Ids{replaying_all});
}

TEST_CASE("routing index: a closed stream is out, the others stay where they were", "[hub]") {
  Streams s;
  const StreamId a = s.add(chat("alice", "general"));
  const StreamId b = s.add(chat("bob", "general"));
  const StreamId c = s.add(chat("carol", "general"));
  const StreamId d = s.add(notifications("dave"));
  s.remove(a);  // the first of its bucket: the last moves into its place
  CHECK(s.routed(said_in("general")) == Ids{b, c});
  s.remove(d);  // the last of its user: a broadcast no longer visits it
  CHECK(s.routed(note_for("")).empty());
  s.remove(c);
  s.remove(b);
  CHECK(s.routed(said_in("general")).empty());
  CHECK(s.size() == 0);
}

TEST_CASE("routing index: the same streams as a scan of every stream, for random mixes", "[hub]") {
  auto policy = std::make_shared<const RoomPolicy>(
      std::map<std::string, std::vector<std::string>>{{"r1", {"admin"}}});
  const std::vector<std::string> users = {"", "u0", "u1", "u2"};
  const std::vector<std::string> rooms = {"", "r0", "r1", "r2"};
  const std::vector<std::string> types = {"", "t0", "t1"};
  std::mt19937 random(20261127);
  auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
  Streams s(3);
  std::vector<StreamId> open;
  for (int round = 0; round < 2000; ++round) {
    const unsigned what = random() % 8;
    if (what < 4 || open.empty()) {
      Subscription sub;
      sub.channel = static_cast<Channel>(random() % kChannelCount);
      sub.user_id = pick(users);
      sub.room = sub.channel == Channel::kChat ? pick(rooms) : "";
      sub.entity_type = sub.channel == Channel::kRealtime ? pick(types) : "";
      sub.roles = random() % 2 ? std::vector<std::string>{"admin"} : std::vector<std::string>{};
      sub.rooms = policy;
      open.push_back(s.add(std::move(sub), random() % 4 != 0));
    } else if (what == 4) {
      const size_t at = random() % open.size();
      s.remove(open[at]);
      open.erase(open.begin() + static_cast<long>(at));
    } else if (what == 5) {
      s.set_live(open[random() % open.size()]);
    }
    const Channel channel = static_cast<Channel>(random() % kChannelCount);
    const Event e = event(channel, {pick(users), pick(rooms), pick(types)});
    REQUIRE(s.routed(e) == s.scanned(e));
  }
  CHECK(s.size() == open.size());
}
