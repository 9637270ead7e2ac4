#pragma once

// A streaming parser of text/event-stream, as EventSource reads it (WHATWG
// HTML 9.2.6, "Interpreting an event stream"). ssectl tail and the end-to-end
// tests read server streams through it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sse::wire {

// One dispatched event, as EventSource's MessageEvent would carry it.
struct ParsedEvent {
  std::string type = "message";  // event: field, or "message"
  std::string data;              // data lines joined by "\n", trailing LF removed
  std::string last_event_id;     // the parser's last event id at dispatch time
};

// Feed it bytes in arbitrary chunks: a line, a CRLF pair or the UTF-8 BOM may
// be split across chunks, and the events are the same however the stream is
// cut. One UTF-8 BOM at the very start of a stream is skipped. Other bytes are
// taken as UTF-8 and passed through unchecked (no U+FFFD replacement).
//
// Memory is bounded: a line longer than `max_bytes`, or an event whose data
// grows past `max_bytes`, is dropped (not dispatched; its id still counts, so a
// client that resumes does not fetch it again) and overflowed() turns true.
//
// Not thread-safe. Handlers run inside feed(); they must not call feed() or
// finish() on the same parser.
class Parser {
 public:
  using EventHandler = std::function<void(const ParsedEvent&)>;
  static constexpr size_t kDefaultMaxBytes = size_t{16} << 20;  // 16 MiB

  explicit Parser(EventHandler on_event, size_t max_bytes = kDefaultMaxBytes);

  // Parses `bytes`, calling the event handler for each event completed by them.
  void feed(std::string_view bytes);

  // Signals end of stream: per the spec, an incomplete event at EOF (a partial
  // line, or lines not followed by a blank line) is discarded. Resets the
  // parser for a new stream (a reconnection), which may start with a BOM again;
  // last_event_id() and retry_ms() are kept, as EventSource keeps them.
  void finish();

  // The id of the last dispatched event (set by id: lines, committed when a
  // blank line ends the event, even if it carried no data). Survives finish().
  const std::string& last_event_id() const { return last_event_id_; }

  // The last valid retry: value seen (milliseconds, clamped to 2^32-1), if any.
  std::optional<uint32_t> retry_ms() const { return retry_ms_; }

  // Sets the last event id, e.g. to resume from a stored one.
  void set_last_event_id(std::string id);

  // Observer of comment lines (WHATWG HTML 9.2.6: a line that starts with
  // ':'), called inside feed() with the text after the colon, one leading
  // space removed (": caught-up" gives "caught-up"); the view is valid for the
  // call only. A comment line longer than max_bytes is dropped unseen (and,
  // like any such line, drops the event it is in).
  // Replaces an earlier handler; an empty one stops the calls. Default: none.
  void set_comment_handler(std::function<void(std::string_view)> handler);

  // True once any line or event passed max_bytes and was dropped.
  bool overflowed() const { return overflowed_; }
  size_t max_bytes() const { return max_bytes_; }

 private:
  void feed_lines(std::string_view bytes);
  void append_partial_line(std::string_view bytes);
  void process_line(std::string_view line);
  void process_field(std::string_view field, std::string_view value);
  void dispatch();
  void drop_event();

  EventHandler on_event_;
  std::function<void(std::string_view)> on_comment_;
  size_t max_bytes_;

  // Per stream.
  size_t bom_matched_ = 0;        // bytes of a leading BOM seen so far
  bool bom_done_ = false;         // past the point where a BOM may appear
  bool pending_cr_ = false;       // the last chunk ended with CR: skip a leading LF
  std::string line_;              // a line not yet ended, carried between chunks
  bool discarding_line_ = false;  // line_ overflowed: skip to the end of the line
  bool event_dropped_ = false;    // the current event overflowed: do not dispatch it
  std::string data_;              // WHATWG "data buffer"
  std::string event_type_;        // WHATWG "event type buffer"
  std::string id_buffer_;         // WHATWG "last event ID buffer"

  // Across streams.
  std::string last_event_id_;  // WHATWG "last event ID string" of the EventSource
  std::optional<uint32_t> retry_ms_;
  bool overflowed_ = false;
};

}  // namespace sse::wire
