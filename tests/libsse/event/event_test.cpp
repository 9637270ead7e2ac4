#include "sse/event/event.hpp"

#include <catch2/catch.hpp>
#include <string>

using sse::Audience;
using sse::Channel;
using sse::EventDraft;
using sse::EventId;
using sse::restore_event;
using sse::seal_event;
using namespace std::string_literals;

TEST_CASE("channel_name and parse_channel name the four streams both ways", "[event]") {
  CHECK(sse::channel_name(Channel::kNotifications) == "notifications");
  CHECK(sse::channel_name(Channel::kRealtime) == "realtime");
  CHECK(sse::channel_name(Channel::kChat) == "chat");
  CHECK(sse::channel_name(Channel::kStatus) == "status");
  for (size_t i = 0; i < sse::kChannelCount; ++i) {
    const auto channel = static_cast<Channel>(i);
    CHECK(sse::parse_channel(sse::channel_name(channel)) == channel);
  }
  for (const char* bad : {"", "Chat", "notification", "system", "chat ", "status\n"}) {
    CAPTURE(bad);
    CHECK_FALSE(sse::parse_channel(bad).has_value());
  }
}

TEST_CASE("seal_event renders the payload with the id and time it is given", "[event]") {
  EventDraft draft;
  draft.channel = Channel::kNotifications;
  draft.type = "notification";
  draft.audience = {"alice", "", ""};
  EventId seen_id = 0;
  int64_t seen_time = 0;
  draft.render_data = [&](EventId id, int64_t time_ms) {
    seen_id = id;
    seen_time = time_ms;
    return R"({"id":")" + std::to_string(id) + R"(","title":"hi"})";
  };
  auto sealed = seal_event(draft, 42, 1'700'000'000'123);
  REQUIRE(sealed.ok());
  const sse::Event& e = **sealed;
  CHECK(seen_id == 42);
  CHECK(seen_time == 1'700'000'000'123);
  CHECK(e.id == 42);
  CHECK(e.channel == Channel::kNotifications);
  CHECK(e.type == "notification");
  CHECK(e.data == R"({"id":"42","title":"hi"})");
  CHECK(e.audience.user_id == "alice");
  CHECK(e.time_ms == 1'700'000'000'123);
  CHECK(e.wire == "id: 42\nevent: notification\ndata: {\"id\":\"42\",\"title\":\"hi\"}\n\n");
}

TEST_CASE("seal_event without a renderer sends an empty object", "[event]") {
  EventDraft draft;
  draft.type = "status";
  auto sealed = seal_event(draft, 1, 0);
  REQUIRE(sealed.ok());
  CHECK((*sealed)->data == "{}");
  CHECK((*sealed)->wire == "id: 1\nevent: status\ndata: {}\n\n");
}

TEST_CASE("restore_event rebuilds the same wire bytes from stored fields", "[event]") {
  auto restored = restore_event(18446744073709551615ULL, Channel::kChat, "message", R"({"m":1})",
                                Audience{"", "general", ""}, 5);
  REQUIRE(restored.ok());
  const sse::Event& e = **restored;
  CHECK(e.wire == "id: 18446744073709551615\nevent: message\ndata: {\"m\":1}\n\n");
  CHECK(e.channel == Channel::kChat);
  CHECK(e.audience.room == "general");
  CHECK(e.time_ms == 5);

  EventDraft draft;
  draft.channel = Channel::kChat;
  draft.type = "message";
  draft.audience = {"", "general", ""};
  draft.render_data = [](EventId, int64_t) { return std::string(R"({"m":1})"); };
  auto sealed = seal_event(draft, 18446744073709551615ULL, 5);
  REQUIRE(sealed.ok());
  CHECK((*sealed)->wire == e.wire);
}

TEST_CASE("seal_event: data with line breaks becomes one data: line per line", "[event]") {
  EventDraft draft;
  draft.type = "t";
  draft.render_data = [](EventId, int64_t) { return std::string("one\ntwo\r\nthree\rfour"); };
  auto sealed = seal_event(draft, 3, 0);
  REQUIRE(sealed.ok());
  CHECK((*sealed)->wire == "id: 3\nevent: t\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
}

TEST_CASE("seal_event: a type that would break the framing is refused", "[event]") {
  for (const std::string& type : {"a\nid: 999"s, "a\r"s, "\r\nevent: x"s, "a\0b"s}) {
    CAPTURE(type);
    EventDraft draft;
    draft.type = type;
    auto sealed = seal_event(draft, 1, 0);
    REQUIRE_FALSE(sealed.ok());
    CHECK(sealed.message().find("'event'") != std::string::npos);
    CHECK_FALSE(restore_event(1, Channel::kStatus, type, "{}", {}, 0).ok());
  }
}

TEST_CASE("seal_event: NUL in the payload is refused", "[event]") {
  EventDraft draft;
  draft.type = "t";
  draft.render_data = [](EventId, int64_t) { return "{\"a\":\"\0\"}"s; };
  auto sealed = seal_event(draft, 1, 0);
  REQUIRE_FALSE(sealed.ok());
  CHECK(sealed.message().find("'data'") != std::string::npos);
}
