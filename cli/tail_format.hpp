#pragma once

// How `ssectl tail` prints one event in each output format.

#include <string>

#include "output.hpp"
#include "sse/wire/parser.hpp"

namespace sse::cli {

// text: "<time> <event> <summary>", the time from the event's timestamp field
// (UTC, as sent) or "-" for events without one.
std::string format_event_text(const wire::ParsedEvent& event, const Output& out);

// json: {"id":"7","event":"message","data":<data parsed as JSON, else a string>};
// "id" is null for events that carried none (heartbeats).
std::string format_event_json(const wire::ParsedEvent& event, bool has_id);

// raw: the event in SSE wire form, blank line included.
std::string format_event_raw(const wire::ParsedEvent& event, bool has_id);

}  // namespace sse::cli
