#pragma once

// CPU time and resident memory of the server under test, summed over its
// processes (--server-pid, repeatable: nginx's workers, say), from
// /proc/PID/stat (utime + stime) and /proc/PID/status (VmRSS). A process that
// has gone keeps contributing what was last read of it, and is named in
// gone().

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sse::bench {

struct ProcessSample {
  double cpu_s = 0;  // user + system seconds since the process started
  uint64_t rss_kb = 0;
};

// Reads one process; false when it cannot be read (gone, no permission).
bool read_process(pid_t pid, ProcessSample& sample, const std::string& proc_root = "/proc");

class ServerProbe {
 public:
  explicit ServerProbe(std::vector<pid_t> pids, std::string proc_root = "/proc");

  bool enabled() const { return !pids_.empty(); }
  // Reads every process now; the sums.
  ProcessSample sample();
  // Processes that could not be read at some sample (in pid order).
  const std::vector<pid_t>& gone() const { return gone_; }

 private:
  std::vector<pid_t> pids_;
  std::vector<ProcessSample> last_;
  std::vector<pid_t> gone_;
  std::string proc_root_;
};

}  // namespace sse::bench
