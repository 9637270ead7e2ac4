#pragma once

// Reading a TOML file, for every configuration file the project has
// (sse-server's, and ssectl's config.toml): one place that reads the bytes,
// parses them and words the errors. What the keys mean is the caller's.

#include <string>

#include <toml++/toml.h>

#include "sse/util/result.hpp"

namespace sse {

// The parsed file. Errors name the file: io_error when it cannot be read (or
// is a directory), invalid_argument with "path:line:column: TOML syntax
// error: …" when it is not TOML.
Result<toml::table> parse_toml_file(const std::string& path);

// "path:line" of a node or key of a table parse_toml_file returned, for
// messages about a bad value.
template <class Sourced>
std::string toml_location(const std::string& path, const Sourced& sourced) {
  return path + ":" + std::to_string(sourced.source().begin.line);
}

}  // namespace sse
