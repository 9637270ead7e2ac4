#include "sse/config/config.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "config_keys.hpp"
#include "sse/config/redis_url.hpp"
#include "sse/config/toml_file.hpp"

namespace sse {
namespace {

using detail::config_keys;
using detail::KeySpec;
using detail::RawValue;

constexpr std::string_view kDefaultOrigin = "built-in default";

// The known keys of `section`, for "unknown key" messages.
std::string keys_of(std::string_view section) {
  std::vector<std::string_view> names;
  for (const auto& key : config_keys()) {
    if (key.section == section) names.push_back(key.name);
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string known_sections() {
  std::vector<std::string_view> sections;
  for (const auto& key : config_keys()) {
    if (sections.empty() || sections.back() != key.section) sections.push_back(key.section);
  }
  return fmt::format("{}", fmt::join(sections, ", "));
}

// The configuration being built, and where each key's value came from.
class Loader {
 public:
  // Applies one value; on failure the message names `where` and the key.
  Status set(const KeySpec& key, const RawValue& raw, std::string where) {
    if (Status status = detail::apply_key(key, raw, config_); !status) {
      return Error::invalid_argument(
          fmt::format("{}: {}: {}", where, key.path(), status.message()));
    }
    origins_[key.path()] = std::move(where);
    return {};
  }

  // Where the current value of `path` ("history.path") came from.
  std::string_view origin(const std::string& path) const {
    const auto it = origins_.find(path);
    return it == origins_.end() ? kDefaultOrigin : std::string_view(it->second);
  }

  // True when a source (not the built-in defaults) set `path`.
  bool is_set(const std::string& path) const { return origins_.count(path) != 0; }

  Config& config() { return config_; }

 private:
  Config config_;
  std::map<std::string, std::string> origins_;
};

Status load_file(Loader& loader, const std::string& path) {
  Result<toml::table> parsed = parse_toml_file(path);
  if (!parsed) return parsed.error();
  const toml::table& root = *parsed;
  const auto at = [&path](const auto& thing) { return toml_location(path, thing); };
  for (const auto& [section, node] : root) {
    if (!detail::is_known_section(section.str())) {
      return Error::invalid_argument(fmt::format("{}: unknown section [{}] (known: {})",
                                                 at(section), section.str(), known_sections()));
    }
    const auto* table = node.as_table();
    if (!table) {
      return Error::invalid_argument(fmt::format("{}: {}: expected a [{}] table of keys", at(node),
                                                 section.str(), section.str()));
    }
    for (const auto& [name, value] : *table) {
      const KeySpec* key = detail::find_key(section.str(), name.str());
      if (!key) {
        return Error::invalid_argument(fmt::format("{}: unknown key {}.{} (known in [{}]: {})",
                                                   at(name), section.str(), name.str(),
                                                   section.str(), keys_of(section.str())));
      }
      if (Status status = loader.set(*key, RawValue{&value, {}}, at(value)); !status) {
        return status;
      }
    }
  }
  return {};
}

// SSE_<SECTION>_<KEY>, see load_config.
Status load_environment(Loader& loader, const std::map<std::string, std::string>& env) {
  for (const auto& [name, value] : env) {
    if (name.rfind("SSE_", 0) != 0) continue;
    const std::string where = fmt::format("environment variable {}", name);
    const KeySpec* match = nullptr;
    for (const auto& key : config_keys()) {
      if (key.env_name() == name) match = &key;
    }
    if (match) {
      if (Status status = loader.set(*match, RawValue{nullptr, value}, where); !status) {
        return status;
      }
      continue;
    }
    for (const auto& key : config_keys()) {
      const std::string prefix = detail::env_prefix(key.section);
      if (name.rfind(prefix, 0) != 0) continue;
      std::string unknown = name.substr(prefix.size());
      for (char& c : unknown) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return Error::invalid_argument(fmt::format("{}: unknown key {}.{} (known in [{}]: {})", where,
                                                 key.section, unknown, key.section,
                                                 keys_of(key.section)));
    }
  }
  return {};
}

Status load_overrides(Loader& loader, const ConfigOverrides& overrides) {
  if (overrides.host) {
    const KeySpec& key = *detail::find_key("server", "host");
    if (Status status = loader.set(key, RawValue{nullptr, *overrides.host}, "command line --host");
        !status) {
      return status;
    }
  }
  if (overrides.port) {
    const KeySpec& key = *detail::find_key("server", "port");
    const std::string port = std::to_string(*overrides.port);
    if (Status status = loader.set(key, RawValue{nullptr, port}, "command line --port"); !status) {
      return status;
    }
  }
  return {};
}

enum class Side { kAtMost, kAtLeast };

// Keeps `dependent` (its value `value`) at most, or at least, `bound`. A
// dependent key left at its built-in default follows the bound instead, so
// that lowering limits.max_connections does not also require lowering
// limits.max_anonymous_connections; one that a source set is an error naming
// both keys, both values and where each came from.
template <class T>
Status check_bound(const Loader& loader, const std::string& dependent, T& value, Side side,
                   const std::string& bound, T bound_value) {
  if (side == Side::kAtMost ? value <= bound_value : value >= bound_value) return {};
  if (!loader.is_set(dependent)) {
    value = bound_value;
    return {};
  }
  return Error::invalid_argument(fmt::format("{}: {}: must be {} {} ({}, from {}), got {}",
                                             loader.origin(dependent), dependent,
                                             side == Side::kAtMost ? "at most" : "at least", bound,
                                             bound_value, loader.origin(bound), value));
}

// Rules that involve more than one key, checked on the merged result.
Status check_combinations(Loader& loader) {
  Config& config = loader.config();
  if (Status status =
          check_bound(loader, "server.max_url_bytes", config.server.max_url_bytes, Side::kAtMost,
                      "server.max_head_bytes", config.server.max_head_bytes);
      !status) {
    return status;
  }
  if (Status status =
          check_bound(loader, "limits.max_queued_bytes_total", config.limits.max_queued_bytes_total,
                      Side::kAtLeast, "limits.max_queued_bytes", config.limits.max_queued_bytes);
      !status) {
    return status;
  }
  if (Status status = check_bound(loader, "limits.max_anonymous_connections",
                                  config.limits.max_anonymous_connections, Side::kAtMost,
                                  "limits.max_connections", config.limits.max_connections);
      !status) {
    return status;
  }
  if (config.history.backend == "sqlite" && config.history.path.empty()) {
    return Error::invalid_argument(
        fmt::format("{}: history.path: must not be empty with history.backend = "
                    "\"sqlite\" (set by {})",
                    loader.origin("history.path"), loader.origin("history.backend")));
  }
  if (!config.auth.jwt_secret.empty() && !config.auth.jwt_secret_file.empty()) {
    return Error::invalid_argument(fmt::format(
        "{}: auth.jwt_secret_file: set together with auth.jwt_secret (set by {}); set only one",
        loader.origin("auth.jwt_secret_file"), loader.origin("auth.jwt_secret")));
  }
  if (!config.redis.password_file.empty()) {
    // The key check parsed the URL already; only its password matters here.
    const auto endpoint = parse_redis_url(config.redis.url);
    if (endpoint && !endpoint->password.empty()) {
      return Error::invalid_argument(fmt::format(
          "{}: redis.password_file: set together with a password in redis.url (set by {}); "
          "set only one",
          loader.origin("redis.password_file"), loader.origin("redis.url")));
    }
  }
  return {};
}

}  // namespace

Result<Config> load_config(const std::optional<std::string>& path,
                           const std::map<std::string, std::string>& env,
                           const ConfigOverrides& overrides) {
  Loader loader;
  if (path) {
    loader.config().source = *path;
    if (Status status = load_file(loader, *path); !status)
      return Error::invalid_argument(status.message());
  }
  if (Status status = load_environment(loader, env); !status)
    return Error::invalid_argument(status.message());
  if (Status status = load_overrides(loader, overrides); !status) {
    return Error::invalid_argument(status.message());
  }
  if (Status status = check_combinations(loader); !status)
    return Error::invalid_argument(status.message());
  return std::move(loader.config());
}

std::map<std::string, std::string> environment_map(char** envp) {
  std::map<std::string, std::string> env;
  for (char** entry = envp; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      env.emplace(std::string(text), "");
    } else {
      env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
  }
  return env;
}

}  // namespace sse
