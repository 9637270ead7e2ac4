#include "sse/config/toml_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace sse {
namespace {

Result<std::string> read_text(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Error::io_error(fmt::format("cannot read config file \"{}\": it is a directory", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::io_error(
        fmt::format("cannot read config file \"{}\": {}", path, std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return Error::io_error(
        fmt::format("cannot read config file \"{}\": {}", path, std::strerror(errno)));
  }
  return text;
}

}  // namespace

Result<toml::table> parse_toml_file(const std::string& path) {
  auto text = read_text(path);
  if (!text) return text.error();
  try {
    return toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    return Error::invalid_argument(fmt::format("{}:{}:{}: TOML syntax error: {}", path,
                                               e.source().begin.line, e.source().begin.column,
                                               e.description()));
  }
}

}  // namespace sse
