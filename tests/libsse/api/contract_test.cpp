#include "sse/api/contract.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

using sse::Channel;
namespace api = sse::api;

TEST_CASE("each channel has its stream path and event names", "[api]") {
  CHECK(api::stream_path(Channel::kNotifications) == "/notifications/stream");
  CHECK(api::stream_path(Channel::kRealtime) == "/realtime/stream");
  CHECK(api::stream_path(Channel::kChat) == "/chat/stream");
  CHECK(api::stream_path(Channel::kStatus) == "/system/status/stream");
  CHECK_FALSE(api::stream_needs_token(Channel::kStatus));
  CHECK(api::stream_needs_token(Channel::kChat));

  auto names = [](Channel c) {
    auto span = api::event_names(c);
    return std::vector<std::string>(span.begin(), span.end());
  };
  CHECK(names(Channel::kNotifications) ==
        std::vector<std::string>{"notification", "error-notification", "system-notification",
                                 "heartbeat"});
  CHECK(names(Channel::kRealtime) ==
        std::vector<std::string>{"create", "update", "delete", "status-change", "heartbeat"});
  CHECK(names(Channel::kChat) ==
        std::vector<std::string>{"message", "typing", "user-joined", "user-left", "heartbeat"});
  CHECK(names(Channel::kStatus) == std::vector<std::string>{"status", "maintenance", "heartbeat"});
}

TEST_CASE("notification types and realtime actions map to their events", "[api]") {
  CHECK(api::notification_event_for("info") == "notification");
  CHECK(api::notification_event_for("success") == "notification");
  CHECK(api::notification_event_for("warning") == "error-notification");
  CHECK(api::notification_event_for("error") == "error-notification");
  CHECK(api::notification_event_for("system") == "system-notification");
  CHECK_FALSE(api::notification_event_for("Info").has_value());
  CHECK_FALSE(api::notification_event_for("").has_value());

  CHECK(api::realtime_event_for("created") == "create");
  CHECK(api::realtime_event_for("update") == "update");
  CHECK(api::realtime_event_for("deleted") == "delete");
  for (const char* spelling : {"status-change", "status_change", "statusChange", "status-changed"}) {
    CAPTURE(spelling);
    CHECK(api::realtime_event_for(spelling) == "status-change");
  }
  CHECK_FALSE(api::realtime_event_for("remove").has_value());
}

TEST_CASE("room and entity-type names follow one rule with one message", "[api]") {
  CHECK(api::is_valid_name("ops"));
  CHECK(api::is_valid_name("Room_1.general-chat"));
  CHECK(api::is_valid_name(std::string(64, 'a')));
  CHECK_FALSE(api::is_valid_name(std::string(65, 'a')));
  CHECK_FALSE(api::is_valid_name(""));
  CHECK_FALSE(api::is_valid_name("a b"));
  CHECK_FALSE(api::is_valid_name("caf\xc3\xa9"));
  CHECK(api::name_rule_message("field 'roomId'") == "field 'roomId' must match [A-Za-z0-9_.-]{1,64}");
}
