#pragma once

// A cheap, incremental reader of a text/event-stream body (WHATWG HTML 9.2.6)
// that keeps only what a load generator needs: whether each event carries a
// delivery stamp, and the last event id (for Last-Event-ID on reconnect).
// Event data is never assembled: each data line is searched for "sb:" as it
// goes by, so an event costs a few memchr calls and no allocation. One
// scanner per connection, used by one thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sse-bench/stamp.hpp"

namespace sse::bench {

// Told about each dispatched event.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // An event whose data holds a stamp (the first one, if several).
  virtual void on_stamped(const Stamp& stamp) = 0;
  // Any other event with data: heartbeats, presence, a foreign publisher's.
  virtual void on_other() = 0;
};

class SseScanner {
 public:
  // A line longer than this (across reads) fails the stream.
  static constexpr size_t kMaxLineBytes = 1 << 20;

  // Scans the next bytes of the body. False when a line exceeds
  // kMaxLineBytes; the scanner should then be dropped with its connection.
  bool feed(std::string_view bytes, EventSink& sink);

  // The id of the last event dispatched (WHATWG: the last event ID string,
  // what a reconnect sends as Last-Event-ID), "" if none. An `id:` line
  // counts only once the blank line that ends its event has arrived: a stream
  // cut inside an event must not resume after it.
  const std::string& last_id() const { return last_id_; }
  bool has_last_id() const { return has_last_id_; }

  // Forgets a partial line and event (a new response begins), and an id of
  // that event; keeps the last dispatched id.
  void restart();

 private:
  void line(const char* begin, const char* end, EventSink& sink);
  void field(std::string_view name, std::string_view value);

  std::string carry_;  // an incomplete line from the previous feed
  std::string last_id_;
  std::string id_buffer_;  // WHATWG: the last event ID buffer, committed at dispatch
  Stamp stamp_;
  bool has_last_id_ = false;
  bool has_id_buffer_ = false;
  bool has_data_ = false;
  bool has_stamp_ = false;
  bool first_line_ = true;
};

}  // namespace sse::bench
