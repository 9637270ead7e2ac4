#pragma once

// Which events `ssectl tail` and `ssectl wait` show and count: the --event
// names (checked against what the stream carries) and the --match KEY=VALUE
// tests on the event's data.

#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "sse/event/event.hpp"

namespace sse::cli {

// One --match: a dotted path into the data ("data.status") and the text
// its value must have.
struct Match {
  std::vector<std::string> path;
  std::string expected;
  std::string spec;  // as given, for messages
};

// Parses "KEY=VALUE"; fails with kExitUsage when there is no '=' or a path
// part is empty.
Match parse_match(const std::string& spec);

// The value at `path` as text: a string as itself, any other value as its
// compact JSON ("42", "true", "null", "{...}"); an array element by its
// index ("items.0.id"). nullopt when the path leads nowhere.
std::optional<std::string> value_at(const Poco::JSON::Object::Ptr& data,
                                    const std::vector<std::string>& path);

class EventFilter {
 public:
  // `events` are checked against the event names of `channels` (heartbeat
  // is always valid); an unknown name fails with kExitUsage, listing them.
  EventFilter(std::vector<std::string> events, const std::vector<std::string>& matches,
              const std::vector<Channel>& channels);

  // Whether the event is shown: its name (heartbeats only when asked for)
  // and every match. `data` is the parsed data, null when it is not an object.
  bool accepts(const std::string& type, const Poco::JSON::Object::Ptr& data) const;

  bool wants(const std::string& type) const;
  // Whether --event names `type` (an explicit ask, not the default).
  bool names(const std::string& type) const;
  bool has_matches() const { return !matches_.empty(); }

 private:
  std::vector<std::string> events_;
  std::vector<Match> matches_;
};

}  // namespace sse::cli
