#pragma once

// How `ssectl tail` prints one event in each output format.

#include <string>
#include <string_view>

#include <Poco/JSON/Object.h>

#include "output.hpp"
#include "sse/wire/parser.hpp"

namespace sse::cli {

// `text` with every control character written out, so that what a server
// or a publisher sent cannot split a line, overwrite it or reach the
// terminal as an escape sequence: \n \r \t for those, \xHH for other C0
// bytes and DEL, \u0085 for C1 characters (UTF-8 C2 80..C2 9F).
std::string escape_control(std::string_view text);

// text: "<time> <event> <summary>", the time from the event's timestamp field
// (UTC, as sent) or "-" for events without one; `data` is the event's data
// parsed (null when it is not an object). One line whatever the event holds:
// control characters are escaped (escape_control).
std::string format_event_text(const wire::ParsedEvent& event, const Poco::JSON::Object::Ptr& data,
                              const Output& out);

// json: {"channel":"chat","id":"7","event":"message","data":<data parsed as
// JSON, else a string>}; "id" is null for events that carried none (heartbeats).
// `data` is the data parsed as an object (null when it is none: it is then
// parsed here, as any JSON value).
std::string format_event_json(const wire::ParsedEvent& event, const Poco::JSON::Object::Ptr& data,
                              bool has_id, std::string_view channel);

// raw: the event in SSE wire form, blank line included.
std::string format_event_raw(const wire::ParsedEvent& event, bool has_id);

}  // namespace sse::cli
