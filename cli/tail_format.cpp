#include "tail_format.hpp"

#include <fmt/format.h>

#include "json_util.hpp"
#include "sse/api/contract.hpp"
#include "sse/util/json.hpp"

namespace sse::cli {
namespace {

namespace ev = api::event;
using Poco::JSON::Object;

std::string time_of(const Object::Ptr& data) {
  const std::string stamp = field_text(data, "timestamp");
  // "2026-01-31T22:00:00.123Z" -> "22:00:00.123Z": the date is rarely news in a tail.
  const size_t t = stamp.find('T');
  if (t != std::string::npos) return stamp.substr(t + 1);
  return stamp.empty() ? "-" : stamp;
}

const char* colour_of(const std::string& type, const Object::Ptr& data) {
  if (type == ev::kErrorNotification || type == ev::kDelete || type == ev::kMaintenance) {
    return field_text(data, "type") == "warning" ? ansi::kYellow : ansi::kRed;
  }
  if (type == ev::kSystemNotification || type == ev::kStatusChange) return ansi::kMagenta;
  if (type == ev::kHeartbeat) return ansi::kDim;
  if (type == ev::kCreate || type == ev::kUserJoined) return ansi::kGreen;
  if (type == ev::kMessage || type == ev::kNotification) return ansi::kCyan;
  return ansi::kBlue;
}

std::string summary(const std::string& type, const Object::Ptr& d, const std::string& raw) {
  if (!d) return raw;
  auto f = [&d](const char* key) { return field_text(d, key); };
  if (type == ev::kNotification || type == ev::kErrorNotification ||
      type == ev::kSystemNotification) {
    std::string line = fmt::format("[{}] {}: {}", f("type"), f("title"), f("message"));
    if (!f("userId").empty()) line += fmt::format(" (to {})", f("userId"));
    return line;
  }
  if (type == ev::kCreate || type == ev::kUpdate || type == ev::kDelete ||
      type == ev::kStatusChange) {
    std::string data = d->has("data") ? to_json(d->get("data")) : "";
    return fmt::format("{}/{} {} {}", f("entityType"), f("entityId"), f("action"), data);
  }
  if (type == ev::kMessage)
    return fmt::format("#{} <{}> {}", f("roomId"), f("username"), f("message"));
  if (type == ev::kUserJoined) return fmt::format("#{} {} joined", f("roomId"), f("username"));
  if (type == ev::kUserLeft) return fmt::format("#{} {} left", f("roomId"), f("username"));
  if (type == ev::kTyping) return fmt::format("#{} {} is typing", f("roomId"), f("username"));
  if (type == ev::kStatus) {
    auto inner = [&d](const char* object, const char* key) {
      return d->getObject(object) ? field_text(d->getObject(object), key) : std::string("-");
    };
    return fmt::format("{} uptime={}s connections={} rss={} cpu={}%", f("status"), f("uptime"),
                       inner("connections", "total"), inner("memory", "rssBytes"),
                       inner("cpu", "percent"));
  }
  if (type == ev::kMaintenance) {
    std::string line = fmt::format("{} ({})", f("message"), f("reason"));
    if (!f("startsAt").empty()) line += " starts " + f("startsAt");
    if (!f("durationSeconds").empty()) line += fmt::format(" for {}s", f("durationSeconds"));
    return line;
  }
  if (type == ev::kHeartbeat) return "";
  return raw;
}

}  // namespace

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else if (byte == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[++i]));
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

std::string format_event_text(const wire::ParsedEvent& event, const Object::Ptr& data,
                              const Output& out) {
  const std::string type =
      out.paint(fmt::format("{:<19}", escape_control(event.type)), colour_of(event.type, data));
  std::string line = fmt::format("{} {} {}", out.paint(escape_control(time_of(data)), ansi::kDim),
                                 type, escape_control(summary(event.type, data, event.data)));
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string format_event_json(const wire::ParsedEvent& event, const Object::Ptr& data, bool has_id,
                              std::string_view channel) {
  // Valid one-line JSON is kept as the server wrote it (key order included).
  std::string text = json_quote(event.data);
  const bool one_line = event.data.find('\n') == std::string::npos;
  if (data) {
    text = one_line ? event.data : to_json(data);
  } else if (auto parsed = parse_json(event.data)) {
    text = one_line ? event.data : to_json(*parsed);
  }
  return fmt::format(
      R"({{"channel":{},"id":{},"event":{},"data":{}}})", json_quote(std::string(channel)),
      has_id ? json_quote(event.last_event_id) : "null", json_quote(event.type), text);
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
