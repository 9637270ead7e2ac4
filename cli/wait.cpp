// ssectl wait STREAM [filters] [-- COMMAND [ARGS...]]: opens the streams,
// runs COMMAND once every stream is open, and exits 0 when the first
// matching event has come (printed on stdout) and COMMAND has exited 0.
// Nothing COMMAND causes can be missed: a stream is registered for live
// events before its response head is sent, and COMMAND starts only after
// every head has arrived.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "commands.hpp"
#include "sse/config/duration.hpp"
#include "sse/util/clock.hpp"
#include "stream_watch.hpp"

extern char** environ;

namespace sse::cli {
namespace {

constexpr std::chrono::seconds kDefaultWaitTimeout{60};
constexpr int64_t kChildPollMs = 50;

struct WaitFlags {
  WatchFlags watch;
  std::vector<std::string> command;  // the words after "--" (ssectl.cpp splits them off)
};

// The process group of a running COMMAND, for the signal handlers: SIGINT
// and SIGTERM to ssectl end COMMAND's whole group too (it has its own
// group, so a terminal's Ctrl-C reaches it only through ssectl).
std::atomic<pid_t> g_command_group{0};

extern "C" void end_command_and_exit(int sig) {
  if (const pid_t group = g_command_group.load(); group > 0) ::kill(-group, SIGTERM);
  _exit(sig == SIGINT ? kExitInterrupted : 128 + sig);
}

// COMMAND as a child process in a process group of its own: stdin from
// /dev/null, its stdout onto ssectl's stderr (stdout carries only the
// event), no descriptor of ssectl's (the streams' sockets) but those three.
class Child {
 public:
  ~Child() { terminate(); }

  // Starts `argv`; on failure the reason is kept for failed() and problem().
  void start(const std::vector<std::string>& argv) {
    std::lock_guard lock(mu_);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
    // Its own group; SIGPIPE (which ssectl ignores), SIGINT, SIGTERM and
    // SIGHUP back at their defaults, nothing blocked: a shell cannot undo a
    // signal ignored at its start.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attributes, 0);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, sig);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &none);
    const int error = posix_spawnp(&pid_, args[0], &actions, &attributes, args.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    started_ = true;
    if (error != 0) {
      pid_ = -1;
      problem_ = fmt::format("cannot run '{}': {}", argv[0], std::strerror(error));
      return;
    }
    g_command_group = pid_;
  }

  bool started() {
    std::lock_guard lock(mu_);
    return started_;
  }

  // Reaps the child if it has exited; true once it has, or could not be
  // started (false before start()).
  bool poll() {
    std::lock_guard lock(mu_);
    if (!started_) return false;
    if (exited_ || pid_ < 0) return true;
    if (!has_exited()) return false;
    record(reap(false));
    return true;
  }

  bool failed() {
    std::lock_guard lock(mu_);
    return !problem_.empty();
  }
  std::string problem() {
    std::lock_guard lock(mu_);
    return problem_;
  }

  // Ends a child still running (the wait is over without it) and its
  // group: SIGTERM, then SIGKILL after a second.
  void terminate() {
    std::lock_guard lock(mu_);
    if (pid_ < 0) return;
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 20 && !has_exited(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kChildPollMs));
    }
    (void)reap(true);
  }

 private:
  // Whether the child has exited, leaving it a zombie: its pid, and so its
  // group's id, cannot be reused until reap().
  bool has_exited() const {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid_;
  }

  // Reaps the child (waiting for it); its wait status. With `kill_group`,
  // first kills what is left of the group, while its id is still the
  // zombie's or the running child's. A COMMAND that exited by itself keeps
  // what it left in the background.
  int reap(bool kill_group) {
    g_command_group = 0;
    if (kill_group) ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exited_ = true;
    return status;
  }

  void record(int status) {
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      problem_ = fmt::format("COMMAND exited with status {}", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
      problem_ = fmt::format("COMMAND was killed by signal {} ({})", WTERMSIG(status),
                             strsignal(WTERMSIG(status)));
    }
  }

  std::mutex mu_;
  pid_t pid_ = -1;
  bool started_ = false;
  bool exited_ = false;
  std::string problem_;
};

int run_wait(Context& ctx, const WaitFlags& flags) {
  if (flags.watch.no_follow) {
    fail(kExitUsage, "wait has no --no-follow: it waits for an event; use tail --no-follow");
  }
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, end_command_and_exit);
  const int64_t need = flags.watch.count > 0 ? flags.watch.count : 1;
  const std::chrono::milliseconds timeout = ctx.settings().timeout.value_or(kDefaultWaitTimeout);
  StreamWatch watch(ctx, "wait", flags.watch, need, timeout);
  const int64_t deadline = *watch.deadline_ms();  // one for the streams and COMMAND
  Child child;
  const bool has_command = !flags.command.empty();
  auto on_open = [&] {
    if (!has_command) return;
    ctx.out().trace(fmt::format("every stream is open; running {}", flags.command[0]));
    child.start(flags.command);
  };
  // COMMAND failing ends the wait at once: the event it was to cause will not come.
  auto keep_going = [&] { return !(has_command && child.poll() && child.failed()); };
  const WatchOutcome outcome = watch.run(on_open, keep_going);

  if (has_command && child.poll() && child.failed()) {
    fail(kExitCommandFailed,
         fmt::format("{}; {} so far", child.problem(), watch.progress(outcome.counted)));
  }
  if (outcome.end != WatchOutcome::kCounted) {
    child.terminate();
    watch.fail_for(outcome);
  }
  // The event came first (before every stream was open, COMMAND has not
  // even started): COMMAND still has to run, finish, and succeed.
  if (has_command && !child.started()) child.start(flags.command);
  while (has_command && !child.poll()) {
    if (SystemClock::instance().steady_ms() >= deadline) {
      child.terminate();
      fail(kExitTimeout, fmt::format("the event came, but COMMAND was still running after {}; "
                                     "raise --timeout",
                                     format_duration(timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kChildPollMs));
  }
  if (has_command && child.failed()) fail(kExitCommandFailed, child.problem());
  return kExitOk;
}

}  // namespace

void add_wait_command(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<WaitFlags>();
  auto* wait = app.add_subcommand(
      "wait", "wait for an event, optionally the one a COMMAND causes (for CI scripts)");
  add_watch_options(*wait, flags->watch);
  wait->footer(
      "-- COMMAND [ARGS...]: run COMMAND once the streams are open; the wait then also needs "
      "it to exit 0.\n"
      "Exit status: 0 the event came (and COMMAND exited 0), 75 timed out (default --timeout "
      "60s), 80 COMMAND failed, 69 could not connect; other codes as for every request.\n"
      "Example: ssectl wait realtime --match entityId=build-42 -- ./deploy.sh");
  wait->callback([&ctx, flags] {
    ctx.action = [&ctx, flags] {
      flags->command = ctx.trailing;
      return run_wait(ctx, *flags);
    };
  });
}

}  // namespace sse::cli
