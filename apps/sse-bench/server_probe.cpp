#include "sse-bench/server_probe.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sse::bench {

bool read_process(pid_t pid, ProcessSample& sample, const std::string& proc_root) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  // proc(5): "pid (comm) state ...": comm may hold spaces and ')', so fields
  // count from the last ')'. utime and stime are fields 14 and 15.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (n == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  sample.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);

  std::ifstream status(dir + "/status");
  sample.rss_kb = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      sample.rss_kb = std::strtoull(line.c_str() + 6, nullptr, 10);
      break;
    }
  }
  return true;
}

ServerProbe::ServerProbe(std::vector<pid_t> pids, std::string proc_root)
    : pids_(std::move(pids)), last_(pids_.size()), proc_root_(std::move(proc_root)) {}

ProcessSample ServerProbe::sample() {
  ProcessSample sum;
  for (size_t k = 0; k < pids_.size(); ++k) {
    ProcessSample now;
    if (read_process(pids_[k], now, proc_root_)) {
      last_[k] = now;
    } else if (std::find(gone_.begin(), gone_.end(), pids_[k]) == gone_.end()) {
      gone_.push_back(pids_[k]);
    }
    sum.cpu_s += last_[k].cpu_s;
    sum.rss_kb += last_[k].rss_kb;
  }
  return sum;
}

}  // namespace sse::bench
