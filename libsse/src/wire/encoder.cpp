#include "sse/wire/encoder.hpp"

#include <charconv>
#include <cstring>

namespace sse::wire {
namespace {

constexpr std::string_view kIdPrefix = "id: ";
constexpr std::string_view kEventPrefix = "event: ";
constexpr std::string_view kDataPrefix = "data: ";
constexpr std::string_view kEmptyDataLine = "data:\n";

bool contains(std::string_view text, char c) {
  return !text.empty() && std::memchr(text.data(), c, text.size()) != nullptr;
}

bool has_line_break(std::string_view text) { return contains(text, '\n') || contains(text, '\r'); }

size_t count_line_break_bytes(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += (c == '\n' || c == '\r');
  return count;
}

// Index of the first CR or LF at or after `from`, or text.size().
size_t find_line_break(std::string_view text, size_t from) {
  for (size_t i = from; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') return i;
  }
  return text.size();
}

void append_data_line(std::string& out, std::string_view line) {
  if (line.empty()) {
    out += kEmptyDataLine;
    return;
  }
  out += kDataPrefix;
  out += line;
  out += '\n';
}

// WHATWG HTML 9.2.6: a CRLF pair, a lone LF or a lone CR each end a line, so
// every one of them starts a new data: line; the client joins them with LF.
void append_data_lines(std::string& out, std::string_view data) {
  size_t start = 0;
  while (true) {
    size_t end = find_line_break(data, start);
    append_data_line(out, data.substr(start, end - start));
    if (end == data.size()) return;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
}

// The usual event, of one non-empty data line, checked already: `size` is
// exactly its length, and it is written in one pass.
void append_one_line_event(std::string& out, const OutgoingEvent& event, size_t size) {
  const size_t start = out.size();
  out.resize(start + size);
  char* at = out.data() + start;
  auto put = [&at](std::string_view piece) { at += piece.copy(at, piece.size()); };
  if (!event.id.empty()) {
    put(kIdPrefix);
    put(event.id);
    put("\n");
  }
  if (!event.event.empty()) {
    put(kEventPrefix);
    put(event.event);
    put("\n");
  }
  put(kDataPrefix);
  put(event.data);
  put("\n\n");  // WHATWG HTML 9.2.6: a blank line dispatches the event
}

}  // namespace

bool is_valid_field_value(std::string_view value) {
  // One pass: ids and event names are short, where three memchr calls cost more.
  for (const char c : value) {
    if (c == '\n' || c == '\r' || c == '\0') return false;
  }
  return true;
}

Status append_event(std::string& out, const OutgoingEvent& event) {
  if (!is_valid_field_value(event.id)) {
    return Error::invalid_argument("SSE field 'id' must not contain CR, LF or NUL");
  }
  if (!is_valid_field_value(event.event)) {
    return Error::invalid_argument("SSE field 'event' must not contain CR, LF or NUL");
  }
  if (contains(event.data, '\0')) {
    return Error::invalid_argument("SSE field 'data' must not contain NUL");
  }

  size_t size = event.data.size() + kDataPrefix.size() + 2;  // one data line, blank line
  if (!event.id.empty()) size += kIdPrefix.size() + event.id.size() + 1;
  if (!event.event.empty()) size += kEventPrefix.size() + event.event.size() + 1;
  const bool multi_line = has_line_break(event.data);
  // Each CR or LF becomes at most "\ndata: ": an upper bound, so one allocation.
  if (multi_line) size += (kDataPrefix.size()) * count_line_break_bytes(event.data);
  if (!multi_line && !event.data.empty()) {
    append_one_line_event(out, event, size);
    return {};
  }
  out.reserve(out.size() + size);

  if (!event.id.empty()) {
    out += kIdPrefix;
    out += event.id;
    out += '\n';
  }
  if (!event.event.empty()) {
    out += kEventPrefix;
    out += event.event;
    out += '\n';
  }
  if (multi_line) {
    append_data_lines(out, event.data);
  } else {
    append_data_line(out, event.data);
  }
  // WHATWG HTML 9.2.6: a blank line dispatches the event.
  out += '\n';
  return {};
}

Result<std::string> encode_event(const OutgoingEvent& event) {
  std::string out;
  if (Status status = append_event(out, event); !status) return status.error();
  return out;
}

std::string encode_retry(uint32_t milliseconds) {
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, milliseconds);
  (void)ec;  // 16 bytes always hold a uint32_t
  std::string out;
  out.reserve(7 + (end - digits) + 2);
  out += "retry: ";
  out.append(digits, end);
  out += "\n\n";
  return out;
}

std::string encode_comment(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 4);
  out += ": ";
  out += text;
  for (size_t i = 2; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
  out += "\n\n";
  return out;
}

}  // namespace sse::wire
