// json_body_bench: how the time to read a POST body grows with its number of
// keys. For each size it builds a realtime update whose `data` object has N
// distinct keys, and a flat body of N top-level keys, then times
// parse_json_object and, for the first, FieldReader::json_text("data") (the
// text that is republished). Linear parsing shows as a flat ns/key column;
// a quadratic one doubles it with every doubling of N.
//
//   sse_json_body_bench [--keys 3000,12000,48000] [--runs 3]
//
// Each figure is the fastest of --runs runs. A measuring tool, not a test.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "server/json_body.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// {"k0":0,"k1":1,...}: `keys` distinct keys.
std::string object_of(size_t keys) {
  std::string text = "{";
  for (size_t i = 0; i < keys; ++i) {
    if (i > 0) text += ',';
    text += fmt::format("\"k{}\":{}", i, i);
  }
  return text + "}";
}

struct Timing {
  double parse_ms = 0;
  double text_ms = 0;
};

// The fastest of `runs` parses of `body` (and writes of its "data" field when
// `write_data`). Exits non-zero when the body is refused.
Timing time_body(const std::string& body, bool write_data, int runs) {
  Timing best{1e300, 1e300};
  for (int run = 0; run < runs; ++run) {
    const auto start = Clock::now();
    auto parsed = sse::parse_json_object(body);
    const auto parsed_at = Clock::now();
    if (!parsed.ok()) {
      std::fprintf(stderr, "refused: %s\n", parsed.error().message.c_str());
      std::exit(1);
    }
    size_t written = 0;
    if (write_data) {
      sse::FieldReader fields(*parsed);
      written = fields.json_text("data").size();
    }
    const auto written_at = Clock::now();
    if (write_data && written < body.size() / 2) {
      std::fprintf(stderr, "json_text wrote only %zu bytes\n", written);
      std::exit(1);
    }
    best.parse_ms = std::min(best.parse_ms,
                             std::chrono::duration<double, std::milli>(parsed_at - start).count());
    best.text_ms = std::min(
        best.text_ms, std::chrono::duration<double, std::milli>(written_at - parsed_at).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times parse_json_object and json_text against the number of keys"};
  std::vector<size_t> sizes{3000, 12000, 48000};
  int runs = 3;
  app.add_option("--keys", sizes, "key counts to measure")->delimiter(',');
  app.add_option("--runs", runs, "runs per size; the fastest is shown")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  std::printf("%8s  %12s %10s  %12s %10s  %12s\n", "keys", "data parse", "ns/key", "json_text",
              "ns/key", "flat parse");
  for (const size_t keys : sizes) {
    const std::string realtime =
        R"({"entityType":"t","entityId":"1","action":"update","data":)" + object_of(keys) + "}";
    const Timing nested = time_body(realtime, true, runs);
    const Timing flat = time_body(object_of(keys), false, runs);
    const double n = static_cast<double>(std::max<size_t>(keys, 1));
    std::printf("%8zu  %10.1fms %10.0f  %10.1fms %10.0f  %10.1fms\n", keys, nested.parse_ms,
                nested.parse_ms * 1e6 / n, nested.text_ms, nested.text_ms * 1e6 / n, flat.parse_ms);
  }
  return 0;
}
