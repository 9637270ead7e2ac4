#pragma once

// The SSE wire encoder: turns one event into the bytes of text/event-stream
// (WHATWG HTML 9.2.5, "Parsing an event stream"). The server encodes every
// published event once and shares the bytes with every stream it goes to, so
// these functions do one pass over the input and one allocation at most.
//
// All functions are pure and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "sse/util/result.hpp"

namespace sse::wire {

// True when `value` may be an SSE field value: no CR, LF or NUL. (A CR or LF
// would end the line and let the value inject fields of its own; NUL makes a
// client ignore an id.)
bool is_valid_field_value(std::string_view value);

// One event to encode. The views must stay valid for the call only.
struct OutgoingEvent {
  std::string_view id;     // empty: no id: line (the client keeps its last event id)
  std::string_view event;  // empty: no event: line (client sees "message")
  std::string_view data;   // split into one data: line per line (LF, CRLF or CR ends a line)
};

// Appends the wire form of one event to `out`:
//   "id: <id>\nevent: <event>\ndata: <line 1>\ndata: <line 2>\n\n"
// Data lines that are empty are written as "data:" (so empty data gives one
// "data:" line and a client dispatches an event whose data is ""); a trailing
// line break in data gives a last empty data line, so a WHATWG parser gets the
// data back exactly, with CRLF and CR normalised to LF.
// Errors, and leaves `out` untouched, when id or event contains CR, LF or NUL,
// or data contains NUL; the message names the field.
Status append_event(std::string& out, const OutgoingEvent& event);

// append_event into a fresh string.
Result<std::string> encode_event(const OutgoingEvent& event);

// "retry: <milliseconds>\n\n": tells clients how long to wait before reconnecting.
std::string encode_retry(uint32_t milliseconds);

// ": <text>\n\n": a comment line that clients ignore (keeps proxies from timing
// out an idle stream). CR and LF in `text` are replaced by spaces so the
// comment stays one line.
std::string encode_comment(std::string_view text);

// The comment a stream opened with a Last-Event-ID gets once, after its last
// replayed event and before its first live one (none for a stream without
// one): a client that resumes knows from it that it has what it missed.
// kCaughtUpFrame is encode_comment(kCaughtUpComment).
inline constexpr std::string_view kCaughtUpComment = "caught-up";
inline constexpr std::string_view kCaughtUpFrame = ": caught-up\n\n";

}  // namespace sse::wire
