#include "event_filter.hpp"

#include <algorithm>
#include <charconv>

#include <Poco/JSON/Array.h>
#include <fmt/format.h>

#include "exit_codes.hpp"
#include "json_util.hpp"
#include "sse/api/contract.hpp"

namespace sse::cli {
namespace {

std::vector<std::string> split_path(const std::string& key, const std::string& spec) {
  std::vector<std::string> path;
  size_t start = 0;
  for (;;) {
    const size_t dot = key.find('.', start);
    std::string part = key.substr(start, dot - start);
    if (part.empty()) {
      fail(kExitUsage, fmt::format("--match '{}': the key has an empty part; write e.g. "
                                   "--match data.status=online",
                                   spec));
    }
    path.push_back(std::move(part));
    if (dot == std::string::npos) return path;
    start = dot + 1;
  }
}

std::string text_of(const Poco::Dynamic::Var& value) {
  if (value.isEmpty()) return "null";
  if (value.isString()) return value.extract<std::string>();
  return to_json(value);
}

std::optional<size_t> index_of(const std::string& part) {
  size_t index = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
  if (ec != std::errc() || end != part.data() + part.size()) return std::nullopt;
  return index;
}

}  // namespace

Match parse_match(const std::string& spec) {
  const size_t equals = spec.find('=');
  if (equals == std::string::npos || equals == 0) {
    fail(kExitUsage, fmt::format("--match '{}': expected KEY=VALUE, e.g. --match entityId=user123 "
                                 "or --match data.status=online",
                                 spec));
  }
  return Match{split_path(spec.substr(0, equals), spec), spec.substr(equals + 1), spec};
}

std::optional<std::string> value_at(const Poco::JSON::Object::Ptr& data,
                                    const std::vector<std::string>& path) {
  if (!data) return std::nullopt;
  Poco::Dynamic::Var value(data);
  for (const std::string& part : path) {
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
      const auto object = value.extract<Poco::JSON::Object::Ptr>();
      if (!object || !object->has(part)) return std::nullopt;
      value = object->get(part);
    } else if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
      const auto array = value.extract<Poco::JSON::Array::Ptr>();
      const std::optional<size_t> index = index_of(part);
      if (!array || !index || *index >= array->size()) return std::nullopt;
      value = array->get(static_cast<unsigned>(*index));
    } else {
      return std::nullopt;
    }
  }
  return text_of(value);
}

EventFilter::EventFilter(std::vector<std::string> events, const std::vector<std::string>& matches,
                         const std::vector<Channel>& channels)
    : events_(std::move(events)) {
  std::vector<std::string> known;
  for (Channel channel : channels) {
    for (std::string_view name : api::event_names(channel)) {
      if (std::find(known.begin(), known.end(), name) == known.end()) known.emplace_back(name);
    }
  }
  for (const std::string& event : events_) {
    if (std::find(known.begin(), known.end(), event) != known.end()) continue;
    std::vector<std::string> names;
    for (Channel channel : channels) names.emplace_back(channel_name(channel));
    fail(kExitUsage, fmt::format("--event '{}': {} carries no such event; its events are: {}",
                                 event, fmt::join(names, ","), fmt::join(known, ", ")));
  }
  for (const std::string& spec : matches) matches_.push_back(parse_match(spec));
}

bool EventFilter::wants(const std::string& type) const {
  if (events_.empty()) return type != api::event::kHeartbeat;
  return std::find(events_.begin(), events_.end(), type) != events_.end();
}

bool EventFilter::names(const std::string& type) const {
  return std::find(events_.begin(), events_.end(), type) != events_.end();
}

bool EventFilter::accepts(const std::string& type, const Poco::JSON::Object::Ptr& data) const {
  if (!wants(type)) return false;
  for (const Match& match : matches_) {
    const std::optional<std::string> value = value_at(data, match.path);
    if (!value || *value != match.expected) return false;
  }
  return true;
}

}  // namespace sse::cli
