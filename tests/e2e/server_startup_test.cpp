// End-to-end: start-up refuses what it cannot serve, with the documented exit
// status (man sse-server, EXIT STATUS).

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

using namespace e2e;

TEST_CASE("a second server on a port that is taken exits 69 and leaves the first alone",
          "[server][startup]") {
  ServerProcess first({{"SSE_HISTORY_BACKEND", "memory"}});
  TempDir data;
  auto second = run({server_bin(), "--port", std::to_string(first.port())}, "",
                    {{"SSE_HISTORY_BACKEND", "memory"}, {"SSE_HISTORY_PATH", (data.path() / "x.db").string()}});
  INFO(second.err);
  CHECK(second.exit_code == 69);
  CHECK(second.err.find("cannot listen on") != std::string::npos);
  CHECK(http(first.port(), "GET", "/health").status == 200);
}
