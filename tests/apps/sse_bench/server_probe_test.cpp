#include "sse-bench/server_probe.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using sse::bench::ProcessSample;
using sse::bench::ServerProbe;

namespace {

// A fake /proc with one process whose name holds ") " (fields count from the
// last ')').
struct FakeProc {
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("sse-bench-proc-" + std::to_string(getpid()));
  FakeProc() { write(77, 250, 150, 12345); }
  ~FakeProc() { std::filesystem::remove_all(root); }
  void write(pid_t pid, int utime, int stime, int rss_kb) {
    const auto dir = root / std::to_string(pid);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "stat") << pid << " (a) b) S 1 1 1 0 -1 4194560 100 0 0 0 " << utime << " "
                                << stime << " 0 0 20 0 1 0 100 1000 300\n";
    std::ofstream(dir / "status") << "Name:\ta\nVmPeak:\t  99999 kB\nVmRSS:\t   " << rss_kb
                                  << " kB\nThreads:\t1\n";
  }
};

}  // namespace

TEST_CASE("sse-bench server probe: reads this process from /proc", "[sse-bench]") {
  ProcessSample sample;
  REQUIRE(sse::bench::read_process(getpid(), sample));
  CHECK(sample.rss_kb > 0);
  CHECK(sample.cpu_s >= 0);
}

TEST_CASE("sse-bench server probe: sums processes and keeps the last reading of one gone",
          "[sse-bench]") {
  FakeProc proc;
  proc.write(78, 100, 0, 1000);
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  ServerProbe probe({77, 78}, proc.root.string());
  REQUIRE(probe.enabled());
  auto first = probe.sample();
  CHECK(first.rss_kb == 13345);
  CHECK(first.cpu_s == Approx(500 / tick));
  CHECK(probe.gone().empty());

  std::filesystem::remove_all(proc.root / "78");
  auto second = probe.sample();
  CHECK(second.rss_kb == 13345);
  CHECK(probe.gone() == std::vector<pid_t>{78});
  CHECK_FALSE(ServerProbe({}).enabled());
}
