#include "sse/api/contract.hpp"

#include <array>

#include <fmt/format.h>

namespace sse::api {
namespace {

using namespace event;

constexpr std::array<std::string_view, 4> kNotificationEvents = {kNotification, kErrorNotification,
                                                                 kSystemNotification, kHeartbeat};
constexpr std::array<std::string_view, 5> kRealtimeEvents = {kCreate, kUpdate, kDelete,
                                                             kStatusChange, kHeartbeat};
constexpr std::array<std::string_view, 5> kChatEvents = {kMessage, kTyping, kUserJoined, kUserLeft,
                                                         kHeartbeat};
constexpr std::array<std::string_view, 3> kStatusEvents = {kStatus, kMaintenance, kHeartbeat};

}  // namespace

std::string_view stream_path(Channel channel) {
  switch (channel) {
    case Channel::kNotifications:
      return "/notifications/stream";
    case Channel::kRealtime:
      return "/realtime/stream";
    case Channel::kChat:
      return "/chat/stream";
    case Channel::kStatus:
      return "/system/status/stream";
  }
  return "/system/status/stream";
}

bool stream_needs_token(Channel channel) { return channel != Channel::kStatus; }

std::span<const std::string_view> event_names(Channel channel) {
  switch (channel) {
    case Channel::kNotifications:
      return kNotificationEvents;
    case Channel::kRealtime:
      return kRealtimeEvents;
    case Channel::kChat:
      return kChatEvents;
    case Channel::kStatus:
      return kStatusEvents;
  }
  return kStatusEvents;
}

std::optional<std::string_view> notification_event_for(std::string_view type) {
  if (type == "info" || type == "success") return kNotification;
  if (type == "warning" || type == "error") return kErrorNotification;
  if (type == "system") return kSystemNotification;
  return std::nullopt;
}

std::optional<std::string_view> realtime_event_for(std::string_view action) {
  if (action == "create" || action == "created") return kCreate;
  if (action == "update" || action == "updated") return kUpdate;
  if (action == "delete" || action == "deleted") return kDelete;
  if (action == "status-change" || action == "status_change" || action == "statusChange" ||
      action == "status-changed") {
    return kStatusChange;
  }
  return std::nullopt;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string name_rule_message(std::string_view what) {
  return fmt::format("{} must match {}", what, kNameRule);
}

}  // namespace sse::api
