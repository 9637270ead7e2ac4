// Fuzzes sse::load_config on a TOML file with arbitrary content (the input is
// the file, so the seed corpus is plain TOML files).
//
// Invariants, each a trap when broken:
// - load_config never throws (a crash or an uncaught exception is a finding);
// - an error message names the file;
// - an accepted configuration written back with to_toml loads again to the
//   same configuration (to_toml leaves the JWT secret out, so that check is
//   skipped when one is set).

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "sse/config/config.hpp"
#include "sse/config/redis_url.hpp"

#include "fuzz_check.hpp"

namespace {

// In $TMPDIR (scripts/fuzz points it into the build directory), else /tmp.
std::string temp_path(const char* suffix) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/sse_config_fuzzer." +
         std::to_string(::getpid()) + suffix;
}

void write_file(const std::string& path, const char* bytes, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes, static_cast<std::streamsize>(size));
  FUZZ_CHECK(out.good());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static const std::string input_path = temp_path(".toml");
  static const std::string output_path = temp_path(".out.toml");
  static const std::map<std::string, std::string> no_environment;

  write_file(input_path, reinterpret_cast<const char*>(bytes), size);
  sse::Result<sse::Config> config = sse::load_config(input_path, no_environment);
  if (!config) {
    FUZZ_CHECK(config.message().find(input_path) != std::string::npos);
    return 0;
  }
  FUZZ_CHECK(config->source == input_path);
  if (!config->auth.jwt_secret.empty()) return 0;
  // A password in redis.url is written as *** (to_toml hides it, as above).
  if (auto url = sse::parse_redis_url(config->redis.url); url && !url->password.empty()) return 0;

  const std::string written = sse::to_toml(*config);
  write_file(output_path, written.data(), written.size());
  sse::Result<sse::Config> reloaded = sse::load_config(output_path, no_environment);
  if (!reloaded) std::fprintf(stderr, "to_toml output rejected: %s\n", reloaded.message().c_str());
  FUZZ_CHECK(reloaded.ok());
  config->source = output_path;
  config->auth.demo_tokens_explicit = true;  // to_toml always writes demo_tokens
  FUZZ_CHECK(*reloaded == *config);
  return 0;
}
