// to_toml: the effective configuration, written back as TOML.

#include <cctype>

#include <fmt/format.h>

#include "config_keys.hpp"
#include "sse/config/config.hpp"
#include "sse/config/duration.hpp"

namespace sse {
namespace {

using detail::BoolKey;
using detail::DurationKey;
using detail::IntegerKey;
using detail::KeySpec;
using detail::Overloaded;
using detail::RateKey;
using detail::RoomMapKey;
using detail::StringKey;
using detail::StringListKey;

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// TOML bare keys are [A-Za-z0-9_-]+; room names may also hold '.'.
std::string toml_key(std::string_view key) {
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return quote(key);
  }
  return std::string(key);
}

std::string format_list(const std::vector<std::string>& list) {
  std::vector<std::string> quoted;
  for (const auto& item : list) quoted.push_back(quote(item));
  return fmt::format("[{}]", fmt::join(quoted, ", "));
}

std::string format_float(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // keep it a TOML float
  return text;
}

// The key's current value in `config` as a TOML line, "idle_timeout = \"5m\"".
// A secret that is set becomes a comment saying so; a value with a secret
// part is written redacted, with a comment saying so.
std::string format_line(const KeySpec& key, const Config& config) {
  // The bindings hand out mutable references; this only reads through them.
  Config& fields = const_cast<Config&>(config);
  if (const auto* k = std::get_if<StringKey>(&key.binding); k && k->secret) {
    if (!k->field(fields).empty()) return fmt::format("# {} is set (not shown)", key.name);
  }
  if (const auto* k = std::get_if<StringKey>(&key.binding); k && k->redact) {
    const std::string& value = k->field(fields);
    if (std::string shown = k->redact(value); shown != value) {
      return fmt::format("{} = {}  # its password is set (not shown)", key.name, quote(shown));
    }
  }
  const std::string value = std::visit(
      Overloaded{
          [&](const StringKey& k) { return quote(k.field(fields)); },
          [&]<class T>(const IntegerKey<T>& k) { return fmt::format("{}", k.field(fields)); },
          [&](const RateKey& k) { return format_float(k.field(fields)); },
          [&](const BoolKey& k) { return std::string(k.field(fields) ? "true" : "false"); },
          [&](const DurationKey& k) { return quote(format_duration(k.field(fields))); },
          [&](const StringListKey& k) { return format_list(k.field(fields)); },
          [&](const RoomMapKey& k) {
            std::vector<std::string> entries;
            for (const auto& [room, roles] : k.field(fields)) {
              entries.push_back(fmt::format("{} = {}", toml_key(room), format_list(roles)));
            }
            if (entries.empty()) return std::string("{}");
            return fmt::format("{{ {} }}", fmt::join(entries, ", "));
          },
      },
      key.binding);
  return fmt::format("{} = {}", key.name, value);
}

}  // namespace

std::string to_toml(const Config& config) {
  std::string source = config.source;
  for (char& c : source) {
    if (c == '\n' || c == '\r') c = ' ';  // stay inside the comment
  }
  std::string out = fmt::format("# sse-server configuration (from {})\n", source);
  std::string_view section;
  for (const auto& key : detail::config_keys()) {
    if (key.section != section) {
      section = key.section;
      out += fmt::format("\n[{}]\n", section);
    }
    out += format_line(key, config) + "\n";
  }
  return out;
}

}  // namespace sse
