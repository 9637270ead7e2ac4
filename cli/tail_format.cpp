#include "tail_format.hpp"

#include <fmt/format.h>

#include "json_util.hpp"
#include "sse/util/json.hpp"

namespace sse::cli {
namespace {

using Poco::JSON::Object;

std::string time_of(const Object::Ptr& data) {
  const std::string stamp = field_text(data, "timestamp");
  // "2026-01-31T22:00:00.123Z" -> "22:00:00.123Z": the date is rarely news in a tail.
  const size_t t = stamp.find('T');
  if (t != std::string::npos) return stamp.substr(t + 1);
  return stamp.empty() ? "-" : stamp;
}

const char* colour_of(const std::string& type, const Object::Ptr& data) {
  if (type == "error-notification" || type == "delete" || type == "maintenance") {
    return field_text(data, "type") == "warning" ? ansi::kYellow : ansi::kRed;
  }
  if (type == "system-notification" || type == "status-change") return ansi::kMagenta;
  if (type == "heartbeat") return ansi::kDim;
  if (type == "create" || type == "user-joined") return ansi::kGreen;
  if (type == "message" || type == "notification") return ansi::kCyan;
  return ansi::kBlue;
}

std::string summary(const std::string& type, const Object::Ptr& d, const std::string& raw) {
  if (!d) return raw;
  auto f = [&d](const char* key) { return field_text(d, key); };
  if (type == "notification" || type == "error-notification" || type == "system-notification") {
    std::string line = fmt::format("[{}] {}: {}", f("type"), f("title"), f("message"));
    if (!f("userId").empty()) line += fmt::format(" (to {})", f("userId"));
    return line;
  }
  if (type == "create" || type == "update" || type == "delete" || type == "status-change") {
    std::string data = d->has("data") ? to_json(d->get("data")) : "";
    return fmt::format("{}/{} {} {}", f("entityType"), f("entityId"), f("action"), data);
  }
  if (type == "message")
    return fmt::format("#{} <{}> {}", f("roomId"), f("username"), f("message"));
  if (type == "user-joined") return fmt::format("#{} {} joined", f("roomId"), f("username"));
  if (type == "user-left") return fmt::format("#{} {} left", f("roomId"), f("username"));
  if (type == "typing") return fmt::format("#{} {} is typing", f("roomId"), f("username"));
  if (type == "status") {
    auto inner = [&d](const char* object, const char* key) {
      return d->getObject(object) ? field_text(d->getObject(object), key) : std::string("-");
    };
    return fmt::format("{} uptime={}s connections={} rss={} cpu={}%", f("status"), f("uptime"),
                       inner("connections", "total"), inner("memory", "rssBytes"),
                       inner("cpu", "percent"));
  }
  if (type == "maintenance") {
    std::string line = fmt::format("{} ({})", f("message"), f("reason"));
    if (!f("startsAt").empty()) line += " starts " + f("startsAt");
    if (!f("durationSeconds").empty()) line += fmt::format(" for {}s", f("durationSeconds"));
    return line;
  }
  if (type == "heartbeat") return "";
  return raw;
}

}  // namespace

std::string format_event_text(const wire::ParsedEvent& event, const Output& out) {
  std::string error;
  const Object::Ptr data = parse_json_object(event.data, &error);
  const std::string type =
      out.paint(fmt::format("{:<19}", event.type), colour_of(event.type, data));
  std::string line = fmt::format("{} {} {}", out.paint(time_of(data), ansi::kDim), type,
                                 summary(event.type, data, event.data));
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string format_event_json(const wire::ParsedEvent& event, bool has_id) {
  std::string error;
  auto parsed = parse_json(event.data, &error);
  // Valid one-line JSON is kept as the server wrote it (key order included).
  std::string data = json_quote(event.data);
  if (parsed) data = event.data.find('\n') == std::string::npos ? event.data : to_json(*parsed);
  return fmt::format(R"({{"id":{},"event":{},"data":{}}})",
                     has_id ? json_quote(event.last_event_id) : "null", json_quote(event.type),
                     data);
}

std::string format_event_raw(const wire::ParsedEvent& event, bool has_id) {
  std::string out;
  if (has_id) out += "id: " + event.last_event_id + "\n";
  out += "event: " + event.type + "\n";
  size_t start = 0;
  for (;;) {  // WHATWG HTML 9.2.6: data lines joined by LF, so split on LF
    const size_t newline = event.data.find('\n', start);
    out += "data: " + event.data.substr(start, newline - start) + "\n";
    if (newline == std::string::npos) break;
    start = newline + 1;
  }
  return out + "\n";
}

}  // namespace sse::cli
