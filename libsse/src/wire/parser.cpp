#include "sse/wire/parser.hpp"

#include <cstring>
#include <limits>
#include <utility>

namespace sse::wire {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Index of the first CR or LF in `bytes`, or npos.
size_t find_line_end(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' || bytes[i] == '\r') return i;
  }
  return std::string_view::npos;
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// WHATWG HTML 9.2.6: retry takes a value of only ASCII digits; anything else
// (including an empty value) is ignored. Values past 2^32-1 are clamped.
std::optional<uint32_t> parse_retry(std::string_view value) {
  if (value.empty()) return std::nullopt;
  uint64_t ms = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  for (char c : value) {
    if (!is_ascii_digit(c)) return std::nullopt;
    ms = ms * 10 + static_cast<uint64_t>(c - '0');
    if (ms > kMax) ms = kMax;
  }
  return static_cast<uint32_t>(ms);
}

}  // namespace

Parser::Parser(EventHandler on_event, size_t max_bytes)
    : on_event_(std::move(on_event)), max_bytes_(max_bytes) {}

void Parser::set_last_event_id(std::string id) {
  id_buffer_ = id;
  last_event_id_ = std::move(id);
}

void Parser::set_comment_handler(std::function<void(std::string_view)> handler) {
  on_comment_ = std::move(handler);
}

void Parser::feed(std::string_view bytes) {
  // WHATWG HTML 9.2.6: the stream is decoded with "UTF-8 decode", which skips
  // one leading BOM. It may arrive split across chunks, so match it bytewise.
  while (!bom_done_ && !bytes.empty()) {
    if (bytes.front() != kBom[bom_matched_]) {
      bom_done_ = true;
      // Not a BOM after all: the bytes matched so far are data.
      feed_lines(kBom.substr(0, bom_matched_));
      break;
    }
    bytes.remove_prefix(1);
    if (++bom_matched_ == kBom.size()) bom_done_ = true;
  }
  if (bom_done_) feed_lines(bytes);
}

void Parser::feed_lines(std::string_view bytes) {
  // WHATWG HTML 9.2.6: a CRLF pair is one line end; when its CR ended the last
  // chunk, its LF starts this one.
  if (pending_cr_ && !bytes.empty()) {
    pending_cr_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }
  while (!bytes.empty()) {
    const size_t end = find_line_end(bytes);
    if (end == std::string_view::npos) {
      append_partial_line(bytes);
      return;
    }
    // WHATWG HTML 9.2.6: lines end with CRLF, a lone LF or a lone CR.
    if (line_.empty() && !discarding_line_) {
      // The whole line is in this chunk: parse it in place, without a copy.
      if (end > max_bytes_) {
        drop_event();
      } else {
        process_line(bytes.substr(0, end));
      }
    } else {
      append_partial_line(bytes.substr(0, end));
      if (!discarding_line_) process_line(line_);
      line_.clear();
      discarding_line_ = false;
    }
    size_t next = end + 1;
    if (bytes[end] == '\r') {
      if (next == bytes.size()) {
        pending_cr_ = true;
      } else if (bytes[next] == '\n') {
        ++next;
      }
    }
    bytes.remove_prefix(next);
  }
}

void Parser::append_partial_line(std::string_view bytes) {
  if (discarding_line_) return;
  if (line_.size() + bytes.size() > max_bytes_) {
    // Guard against a peer that never ends a line: drop it and its event.
    std::string().swap(line_);
    discarding_line_ = true;
    drop_event();
    return;
  }
  line_.append(bytes);
}

void Parser::process_line(std::string_view line) {
  // WHATWG HTML 9.2.6: an empty line dispatches the event.
  if (line.empty()) {
    dispatch();
    return;
  }
  // WHATWG HTML 9.2.6: a line starting with ':' is a comment: ignore it.
  // It changes no buffer; an observer is told its text.
  if (line.front() == ':') {
    if (on_comment_) {
      std::string_view text = line.substr(1);
      if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      on_comment_(text);
    }
    return;
  }
  // WHATWG HTML 9.2.6: a line containing ':' splits at the first ':' into
  // field name and value; one leading space of the value is removed.
  // A line without ':' is a field name whose value is the empty string.
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    process_field(line, {});
    return;
  }
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  process_field(line.substr(0, colon), value);
}

void Parser::process_field(std::string_view field, std::string_view value) {
  if (field == "event") {
    // WHATWG HTML 9.2.6: "event": set the event type buffer to the value.
    event_type_.assign(value);
  } else if (field == "data") {
    // WHATWG HTML 9.2.6: "data": append the value, then a LF, to the data buffer.
    if (event_dropped_) return;
    if (data_.size() + value.size() + 1 > max_bytes_) {
      drop_event();
      return;
    }
    data_.append(value);
    data_ += '\n';
  } else if (field == "id") {
    // WHATWG HTML 9.2.6: "id": unless the value contains NUL, set the last
    // event ID buffer to it (an empty value resets it); with NUL, ignore it.
    if (value.find('\0') == std::string_view::npos) id_buffer_.assign(value);
  } else if (field == "retry") {
    // WHATWG HTML 9.2.6: "retry": only ASCII digits set the reconnection time.
    if (auto ms = parse_retry(value)) retry_ms_ = ms;
  }
  // WHATWG HTML 9.2.6: any other field is ignored.
}

void Parser::drop_event() {
  overflowed_ = true;
  event_dropped_ = true;
  std::string().swap(data_);
}

void Parser::dispatch() {
  // WHATWG HTML 9.2.6 dispatch, step 1: the last event ID string takes the
  // last event ID buffer's value, whether or not an event follows.
  last_event_id_ = id_buffer_;
  // Step 2: with an empty data buffer, reset data and event type and stop.
  // (An event dropped for its size ends here too.)
  if (data_.empty() || event_dropped_) {
    data_.clear();
    event_type_.clear();
    event_dropped_ = false;
    return;
  }
  // Step 3: remove one trailing LF from the data buffer.
  if (data_.back() == '\n') data_.pop_back();
  // Steps 4-5: the event carries the data and last event ID; its type is the
  // event type buffer, or "message" when that is empty.
  ParsedEvent event;
  event.data = std::move(data_);
  if (!event_type_.empty()) event.type = std::move(event_type_);
  event.last_event_id = last_event_id_;
  // Step 6: reset the data and event type buffers (before the handler runs,
  // so a handler that throws leaves the parser consistent).
  data_.clear();
  event_type_.clear();
  // Step 7: dispatch.
  if (on_event_) on_event_(event);
}

void Parser::finish() {
  // WHATWG HTML 9.2.6: at end of file, pending data is discarded: a partial
  // line and an event not yet ended by a blank line. An id: line of that event
  // never reached the last event ID string, so the buffer goes back to it.
  bom_matched_ = 0;
  bom_done_ = false;
  pending_cr_ = false;
  line_.clear();
  discarding_line_ = false;
  event_dropped_ = false;
  data_.clear();
  event_type_.clear();
  id_buffer_ = last_event_id_;
}

}  // namespace sse::wire
