#pragma once

// A draft's payload with a hole wherever its id goes. A shared log cannot
// know an event's id before the store assigns it, but the payload carries
// it (notifications, chat, maintenance): the node renders the payload once
// around the id, and the store fills the id in as it appends (the Redis
// log's script joins the pieces with the id).

#include <string>
#include <vector>

#include "sse/event/event.hpp"
#include "sse/util/result.hpp"

namespace sse {

// The payload of `draft` at `time_ms` in pieces: rendering it with id N
// gives the pieces joined by N's decimal digits (one piece: the id is not in
// it). Fails as seal_event does on a draft no log would take, and
// (internal) when the payload changes with the id in more than the id.
Result<std::vector<std::string>> payload_template(const EventDraft& draft, int64_t time_ms);

// The pieces joined by `id`: the payload rendered with it.
std::string fill_payload(const std::vector<std::string>& pieces, EventId id);

}  // namespace sse
