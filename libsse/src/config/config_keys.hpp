#pragma once

// Internal to the config loader: the table of every configuration key (its
// section, name, type and allowed values) that the file reader, the
// environment reader and to_toml all walk, so a key is declared once.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "sse/config/config.hpp"
#include "sse/util/result.hpp"

namespace sse::detail {

using RoomMap = std::map<std::string, std::vector<std::string>>;

template <class T>
using FieldOf = T& (*)(Config&);

// A string; `check` (optional) says what is wrong with a value, or nothing.
struct StringKey {
  FieldOf<std::string> field;
  Status (*check)(const std::string&) = nullptr;
  bool secret = false;  // not written by to_toml
  // When set, to_toml writes redact(value) instead, with a comment when that
  // differs from the value: for a value with a secret part (redis.url).
  std::string (*redact)(std::string_view) = nullptr;
};
template <class T>
struct IntegerKey {
  FieldOf<T> field;
  int64_t min;
  int64_t max;
};
struct RateKey {  // a finite number > 0; TOML integers are accepted
  FieldOf<double> field;
};
struct BoolKey {
  FieldOf<bool> field;
  FieldOf<bool> set_explicitly = nullptr;  // also set to true when a source sets this key
};
struct DurationKey {  // a duration string, or a TOML integer of seconds
  FieldOf<std::chrono::milliseconds> field;
  bool zero_allowed;
  std::chrono::milliseconds max = std::chrono::milliseconds::max();
  std::chrono::milliseconds min{0};  // below it: "must be at least", before zero_allowed
};
struct StringListKey {  // non-empty strings; "a,b" in the environment
  FieldOf<std::vector<std::string>> field;
};
struct RoomMapKey {  // room -> roles; "ops=admin;vip=admin,vip" in the environment
  FieldOf<RoomMap> field;
};

using Binding = std::variant<StringKey, IntegerKey<int>, IntegerKey<int64_t>, RateKey, BoolKey,
                             DurationKey, StringListKey, RoomMapKey>;

struct KeySpec {
  std::string_view section;
  std::string_view name;
  Binding binding;

  std::string path() const;      // "limits.idle_timeout"
  std::string env_name() const;  // "SSE_LIMITS_IDLE_TIMEOUT"
};

// "SSE_LIMITS_": the prefix of every environment variable of `section`.
std::string env_prefix(std::string_view section);

// Every key, grouped by section in the order of the shipped file.
const std::vector<KeySpec>& config_keys();

// The key `name` in `section`, or null.
const KeySpec* find_key(std::string_view section, std::string_view name);

// True when some key lives in `section`.
bool is_known_section(std::string_view section);

// One value from one source: a TOML node from the file, or else the text of
// an environment variable or a command-line flag.
struct RawValue {
  const toml::node* node = nullptr;
  std::string_view text;
};

// Parses `raw` per the key's type, checks it and stores it in `config`. On
// failure `config` is unchanged and the message says what is wrong with the
// value (the caller adds the key and where it came from).
Status apply_key(const KeySpec& key, const RawValue& raw, Config& config);

// std::visit over a Binding with one lambda per alternative.
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace sse::detail
