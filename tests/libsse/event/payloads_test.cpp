#include "sse/event/payloads.hpp"

#include <catch2/catch.hpp>

#include "sse/event/event.hpp"

using sse::Channel;

namespace {

// 2026-01-31T22:00:00.123Z
constexpr int64_t kTime = 1769896800123;

std::string data_of(const sse::EventDraft& draft, sse::EventId id) {
  auto event = sse::seal_event(draft, id, kTime);
  REQUIRE(event.ok());
  return (*event)->data;
}

}  // namespace

TEST_CASE("notification payloads carry the recipient, or null for everyone", "[payloads]") {
  auto draft = sse::notification_event("notification", "Hi", "a \"b\"", "info", "alice");
  CHECK(draft.channel == Channel::kNotifications);
  CHECK(draft.type == "notification");
  CHECK(draft.audience.user_id == "alice");
  CHECK(data_of(draft, 7) ==
        R"({"id":"7","title":"Hi","message":"a \"b\"","type":"info","timestamp":"2026-01-31T22:00:00.123Z","userId":"alice"})");
  auto system = sse::notification_event("system-notification", "T", "M", "system", "");
  CHECK(data_of(system, 8).find(R"("userId":null)") != std::string::npos);
}

TEST_CASE("realtime payloads embed the data JSON as given", "[payloads]") {
  auto draft = sse::realtime_event("update", "order", "42", R"({"total":3})");
  CHECK(draft.channel == Channel::kRealtime);
  CHECK(draft.audience.entity_type == "order");
  CHECK(data_of(draft, 1) ==
        R"({"entityType":"order","entityId":"42","action":"update","data":{"total":3},"timestamp":"2026-01-31T22:00:00.123Z"})");
}

TEST_CASE("maintenance and the farewell share one shape, and the farewell has no id", "[payloads]") {
  auto draft = sse::maintenance_event({"upgrade", kTime + 3'600'000, 1800});
  CHECK(draft.channel == Channel::kStatus);
  CHECK(draft.type == "maintenance");
  CHECK(data_of(draft, 9) ==
        R"({"id":"9","message":"upgrade","reason":"scheduled","startsAt":"2026-01-31T23:00:00.123Z","durationSeconds":1800,"timestamp":"2026-01-31T22:00:00.123Z"})");
  CHECK(sse::farewell_frame(kTime) ==
        "event: maintenance\n"
        R"(data: {"id":null,"message":"the server is shutting down","reason":"shutdown","startsAt":null,"durationSeconds":null,"timestamp":"2026-01-31T22:00:00.123Z"})"
        "\n\n");
}

TEST_CASE("heartbeats are events without an id", "[payloads]") {
  CHECK(sse::heartbeat_frame(kTime) ==
        "event: heartbeat\ndata: {\"timestamp\":\"2026-01-31T22:00:00.123Z\"}\n\n");
}
