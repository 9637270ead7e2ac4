// ssectl as CI scripts use it, against a real sse-server: what --count
// counts, a closed stdout, escaped text output, race-free `wait`, --match,
// --no-follow, several channels in one tail, exit codes that tell a timeout
// from a refusal, mistyped commands, --config.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "ssectl_helpers.hpp"
#include "support/markers.hpp"

using namespace std::chrono_literals;

namespace {

e2e::CommandResult ssectl_at(const e2e::ServerProcess& server, std::vector<std::string> args,
                             const std::string& token = e2e::kDemoToken) {
  args.insert(args.begin(), {"--server", server.url(), "--token", token});
  return e2e::ssectl(args);
}

// `ssectl wait ARGS... -- ssectl --server … --token … COMMAND...`: a wait
// whose COMMAND is ssectl itself, against the same server.
e2e::CommandResult wait_for(const e2e::ServerProcess& server, std::vector<std::string> wait_args,
                            const std::vector<std::string>& command) {
  wait_args.insert(wait_args.end(),
                   {"--", e2e::ssectl_bin(), "--server", server.url(), "--token", e2e::kDemoToken});
  wait_args.insert(wait_args.end(), command.begin(), command.end());
  return ssectl_at(server, wait_args);
}

std::string publish_update(const e2e::ServerProcess& server, const std::string& entity_id,
                           const std::string& data) {
  auto sent = ssectl_at(server, {"send", "update", "--entity-type", "user", "--entity-id",
                                 entity_id, "--action", "update", "--data", data});
  REQUIRE(sent.exit_code == 0);
  return sent.out.substr(0, sent.out.find('\n'));
}

// Runs `pipeline` in bash and returns what it prints: ssectl's exit status
// (from PIPESTATUS) is echoed last by the pipeline itself.
std::unique_ptr<e2e::Child> bash_child(const std::string& pipeline) {
  return std::make_unique<e2e::Child>(std::vector<std::string>{"bash", "-c", pipeline},
                                      e2e::ssectl_env());
}

}  // namespace

TEST_CASE("ssectl tail ends with 74 once the reader of its stdout has gone", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  const std::string tail = e2e::ssectl_bin() + " --server " + server.url() + " --token " +
                           e2e::kDemoToken + " tail realtime -o json";
  for (const std::string& count : {std::string(""), std::string(" --count 3")}) {
    auto pipe = bash_child(tail + count + " | head -1; echo \"status=${PIPESTATUS[0]}\"");
    REQUIRE(e2e::wait_for_streams(server.port(), 1, "realtime"));
    publish_update(server, "u1", "{}");
    // head exits after the first line; ssectl notices without another event.
    REQUIRE(pipe->wait(30s) == 0);
    CHECK(e2e::count_of(pipe->out(), "\"event\":\"update\"") == 1);
    CHECK(pipe->out().find("status=74") != std::string::npos);
    CHECK(pipe->err().find("ssectl: stdout was closed") != std::string::npos);
    REQUIRE(e2e::wait_for_streams(server.port(), 0, "realtime"));
  }
}

TEST_CASE("ssectl tail --count counts neither its own arrival nor the farewell", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  // Opening the chat stream makes the tail's own user-joined: not printed, not counted.
  auto own = ssectl_at(server, {"tail", "chat", "--room", "ci", "--count", "1", "--timeout", "1s"});
  CHECK(own.exit_code == 75);
  CHECK(own.out.empty());
  CHECK(own.err.find("timed out after 1s with 0 of 1 events") != std::string::npos);

  // Another user's arrival counts. (--event user-joined: the first tail's
  // departure may be logged after this tail started.)
  auto joined =
      e2e::ssectl_child({"tail", "chat", "--room", "ci", "--event", "user-joined", "--count", "1",
                         "-o", "json", "--server", server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "chat"));
  e2e::SseClient bob(server.port(), "/chat/stream?room=ci",
                     {{"Authorization", "Bearer " + e2e::user_token("bob")}});
  REQUIRE(joined->wait(30s) == 0);
  CHECK(e2e::count_of(joined->out(), "\n") == 1);
  CHECK(e2e::json_string(joined->out(), "event") == "user-joined");
  CHECK(joined->out().find("\"userId\":\"bob\"") != std::string::npos);

  // The shutdown farewell carries no id: with --no-reconnect the stream then
  // ended before its event, which is no success.
  auto farewell = e2e::ssectl_child({"tail", "realtime", "--count", "1", "--no-reconnect",
                                     "--server", server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "realtime"));
  REQUIRE(server.stop(SIGTERM) == 0);
  REQUIRE(farewell->wait(30s) == 69);
  CHECK(farewell->out().empty());
  CHECK(farewell->err().find("the server is going away (shutdown)") != std::string::npos);
}

TEST_CASE("ssectl tail text output escapes control characters, json stays exact", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  const std::string message = "line1\nline2\rSPOOF \x1b[31mred\a bell \xc2\x85 next";
  auto sent = ssectl_at(server, {"send", "notification", "--title", "t", "--message", message});
  REQUIRE(sent.exit_code == 0);
  auto text = ssectl_at(server, {"tail", "notifications", "--last-event-id", "0", "--count", "1",
                                 "--color", "never"});
  REQUIRE(text.exit_code == 0);
  CHECK(e2e::count_of(text.out, "\n") == 1);
  CHECK(text.out.find("line1\\nline2\\rSPOOF \\x1b[31mred\\x07 bell \\u0085 next") !=
        std::string::npos);
  CHECK(text.out.find('\x1b') == std::string::npos);
  CHECK(text.out.find('\a') == std::string::npos);
  CHECK(text.out.find('\r') == std::string::npos);

  auto json = ssectl_at(
      server, {"tail", "notifications", "--last-event-id", "0", "--count", "1", "-o", "json"});
  REQUIRE(json.exit_code == 0);
  CHECK(json.out.find(R"("message":"line1\nline2\rSPOOF \u001b[31mred\u0007 bell )") !=
        std::string::npos);
}

TEST_CASE("ssectl wait runs COMMAND once the stream is live and prints the event it caused",
          "[ssectl][ci][wait]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  // Every round must see its own event: there is no window between the
  // stream opening and COMMAND running in which the event could be missed.
  for (int round = 0; round < 10; ++round) {
    const std::string entity = "build-" + std::to_string(round);
    auto waited = wait_for(
        server,
        {"wait", "realtime", "--match", "entityId=" + entity, "-o", "json", "--timeout", "30s"},
        {"send", "update", "--entity-type", "build", "--entity-id", entity, "--action", "update",
         "--data", R"({"status":"done"})"});
    REQUIRE(waited.exit_code == 0);
    CHECK(e2e::count_of(waited.out, "\n") == 1);
    CHECK(waited.out.find("\"entityId\":\"" + entity + "\"") != std::string::npos);
    // COMMAND's own stdout (the event id) went to stderr, not into the output.
    CHECK(waited.err.find(e2e::json_string(waited.out, "id")) != std::string::npos);
  }
}

TEST_CASE("ssectl wait tells a failed COMMAND, a timeout and no server apart",
          "[ssectl][ci][wait]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto failed =
      ssectl_at(server, {"wait", "realtime", "--timeout", "30s", "--", "sh", "-c", "exit 3"});
  CHECK(failed.exit_code == 80);
  CHECK(failed.err.find("COMMAND exited with status 3") != std::string::npos);

  auto missing =
      ssectl_at(server, {"wait", "realtime", "--timeout", "30s", "--", "/nonexistent/command"});
  CHECK(missing.exit_code == 80);
  CHECK(missing.err.find("cannot run '/nonexistent/command'") != std::string::npos);

  auto timed_out = ssectl_at(server, {"wait", "realtime", "--timeout", "1s", "--", "true"});
  CHECK(timed_out.exit_code == 75);
  CHECK(timed_out.err.find("wait timed out after 1s with 0 of 1 events") != std::string::npos);

  auto no_command = ssectl_at(server, {"wait", "realtime", "--timeout", "1s"});
  CHECK(no_command.exit_code == 75);

  const int port = server.port();
  REQUIRE(server.stop(SIGKILL).has_value());
  auto unreachable =
      e2e::ssectl({"wait", "realtime", "--server", "http://127.0.0.1:" + std::to_string(port),
                   "--token", e2e::kDemoToken, "--", "true"});
  CHECK(unreachable.exit_code == 69);
  CHECK(unreachable.err.find("cannot reach sse-server") != std::string::npos);
}

TEST_CASE("ssectl tail --match filters on the event data by dotted paths", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  publish_update(server, "u1", R"({"status":"offline","n":41})");
  const std::string online = publish_update(server, "u1", R"({"status":"online","n":42})");
  publish_update(server, "u2", R"({"status":"online","n":42})");
  auto matched = ssectl_at(
      server, {"tail", "realtime", "--last-event-id", "0", "--no-follow", "-o", "json", "--match",
               "data.status=online", "--match", "entityId=u1", "--match", "data.n=42"});
  REQUIRE(matched.exit_code == 0);
  CHECK(e2e::count_of(matched.out, "\n") == 1);
  CHECK(e2e::json_string(matched.out, "id") == online);

  auto none = ssectl_at(server, {"tail", "realtime", "--last-event-id", "0", "--no-follow",
                                 "--match", "data.missing.deeper=x"});
  CHECK(none.exit_code == 0);
  CHECK(none.out.empty());

  auto bad = ssectl_at(server, {"tail", "realtime", "--match", "status"});
  CHECK(bad.exit_code == 64);
  CHECK(bad.err.find("expected KEY=VALUE") != std::string::npos);
}

TEST_CASE("ssectl tail --no-follow prints what came after an id and exits 0", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  const std::string first = publish_update(server, "a", "1");
  const std::string second = publish_update(server, "b", "2");
  const std::string third = publish_update(server, "c", "3");
  // status -o json says the newest id: a script records "now" with it.
  auto status = ssectl_at(server, {"status", "-o", "json"});
  REQUIRE(status.exit_code == 0);
  CHECK(e2e::json_string(status.out, "lastEventId") == third);

  auto after = ssectl_at(
      server, {"tail", "realtime", "--last-event-id", first, "--no-follow", "-o", "json"});
  REQUIRE(after.exit_code == 0);
  REQUIRE(e2e::count_of(after.out, "\n") == 2);
  const size_t newline = after.out.find('\n');
  CHECK(e2e::json_string(after.out.substr(0, newline), "id") == second);
  CHECK(e2e::json_string(after.out.substr(newline + 1), "id") == third);

  auto nothing = ssectl_at(server, {"tail", "realtime", "--last-event-id", third, "--no-follow"});
  CHECK(nothing.exit_code == 0);
  CHECK(nothing.out.empty());

  auto past = ssectl_at(server, {"tail", "realtime", "--last-event-id", "999", "--no-follow"});
  CHECK(past.exit_code == 65);
  CHECK(past.err.find("past the server's newest event (" + third + ")") != std::string::npos);

  auto needs_id = ssectl_at(server, {"tail", "realtime", "--no-follow"});
  CHECK(needs_id.exit_code == 64);
}

TEST_CASE("ssectl tail follows several channels and names each line's channel", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto tail = e2e::ssectl_child({"tail", "notifications,chat", "--room", "general", "--event",
                                 "message,notification", "--count", "2", "-o", "json", "--server",
                                 server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 2));
  REQUIRE(ssectl_at(server, {"send", "chat", "--room", "general", "hi"}).exit_code == 0);
  REQUIRE(tail->wait_for_output("\"channel\":\"chat\"", 10s));
  REQUIRE(ssectl_at(server, {"send", "notification", "--title", "t", "--message", "m"}).exit_code ==
          0);
  REQUIRE(tail->wait(30s) == 0);
  CHECK(e2e::count_of(tail->out(), "\n") == 2);
  CHECK(e2e::count_of(tail->out(), "{\"channel\":\"chat\",") == 1);
  CHECK(e2e::count_of(tail->out(), "{\"channel\":\"notifications\",") == 1);

  auto text = ssectl_at(server, {"tail", "notifications,chat", "--last-event-id", "0",
                                 "--no-follow", "--event", "message,notification"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.rfind("[", 0) == 0);
  CHECK(e2e::count_of(text.out, "[chat] ") == 1);
  CHECK(e2e::count_of(text.out, "[notifications] ") == 1);

  auto raw = ssectl_at(server, {"-o", "raw", "tail", "notifications,chat"});
  CHECK(raw.exit_code == 64);
}

TEST_CASE("ssectl tells a refusal for now from a timeout", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_LIMITS_MAX_CONNECTIONS_PER_USER", "1"}});
  auto holder =
      e2e::ssectl_child({"tail", "realtime", "--server", server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1));
  auto refused = ssectl_at(server, {"tail", "realtime", "--timeout", "30s"});
  CHECK(refused.exit_code == 79);
  CHECK(refused.err.find("(429)") != std::string::npos);

  // The status stream needs no token (the token's user has its one stream).
  auto timed_out =
      e2e::ssectl({"--server", server.url(), "tail", "status", "--count", "1", "--timeout", "1"});
  CHECK(timed_out.exit_code == 75);
  CHECK(timed_out.err.find("timed out after 1s") != std::string::npos);
}

TEST_CASE("ssectl tail's connect attempt has its own timeout", "[ssectl][ci]") {
  // A listener that accepts and never answers: the stream's head never comes.
  e2e::SilentListener silent;
  const std::string url = silent.url();
  // (It answers nothing, so ssectl's first request, for the newest event
  // id, is what gets no answer; the stream's own open is bounded the same way.)
  auto connect = e2e::ssectl({"tail", "realtime", "--server", url, "--token", e2e::kDemoToken,
                              "--connect-timeout", "300ms", "--timeout", "1h"});
  CHECK(connect.exit_code == 69);
  CHECK(connect.err.find("no answer from the server within --connect-timeout 300ms") !=
        std::string::npos);

  auto whole = e2e::ssectl({"tail", "realtime", "--server", url, "--token", e2e::kDemoToken,
                            "--connect-timeout", "1h", "--timeout", "300ms"});
  CHECK(whole.exit_code == 75);
  CHECK(whole.err.find("tail timed out after 300ms") != std::string::npos);
}

TEST_CASE("ssectl names a mistyped command and suggests the nearest", "[ssectl][ci]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"sned"}, "unknown command 'sned'; did you mean 'send'?"},
      {{"send", "chatt", "--room", "x", "hi"}, "unknown command 'chatt'; did you mean 'chat'?"},
      {{"connections", "lst"}, "unknown command 'lst'; did you mean 'list'?"},
      {{"--server", "http://127.0.0.1:1", "tial", "chat"},
       "unknown command 'tial'; did you mean 'tail'?"},
      {{"xyzzy"}, "unknown command 'xyzzy' for ssectl; the commands are: send, tail, wait"},
  };
  for (const auto& [args, message] : cases) {
    auto result = e2e::ssectl(args);
    CHECK(result.exit_code == 64);
    CHECK(result.err.rfind("ssectl: " + message, 0) == 0);
  }
  // CLI11's own messages get the prefix too.
  auto extra = e2e::ssectl({"status", "--no-such-flag"});
  CHECK(extra.exit_code == 64);
  CHECK(extra.err.rfind("ssectl: ", 0) == 0);

  auto count = e2e::ssectl({"tail", "realtime", "--count", "0"});
  CHECK(count.exit_code == 64);
  CHECK(count.err.find("must be at least 1") != std::string::npos);
  CHECK(count.err.find("9223372036854775807") == std::string::npos);

  auto event = e2e::ssectl({"tail", "realtime", "--event", "created"});
  CHECK(event.exit_code == 64);
  CHECK(event.err.find("its events are: create, update, delete, status-change") !=
        std::string::npos);
}

TEST_CASE("ssectl help prints the help of ssectl or of a command", "[ssectl][ci]") {
  auto top = e2e::ssectl({"help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("Usage: ssectl [OPTIONS] SUBCOMMAND") != std::string::npos);
  auto chat = e2e::ssectl({"help", "send", "chat"});
  CHECK(chat.exit_code == 0);
  CHECK(chat.out.find("Usage: ssectl send chat") != std::string::npos);
  CHECK(chat.out.find("--room") != std::string::npos);
  auto wrong = e2e::ssectl({"help", "sendd"});
  CHECK(wrong.exit_code == 64);
  CHECK(wrong.err.find("did you mean 'send'?") != std::string::npos);
}

TEST_CASE("ssectl reads the config file --config or SSECTL_CONFIG names", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::TempDir dir;
  const std::string config = dir.file("ci.toml", "server = \"" + server.url() + "\"\n");
  auto flag = e2e::ssectl({"--config", config, "status"});
  CHECK(flag.exit_code == 0);
  CHECK(flag.out.find(server.url()) != std::string::npos);
  auto env = e2e::ssectl({"status"}, "", {{"SSECTL_CONFIG", config}});
  CHECK(env.exit_code == 0);
  CHECK(env.out.find(server.url()) != std::string::npos);
  auto missing = e2e::ssectl({"--config", (dir.path() / "none.toml").string(), "status"});
  CHECK(missing.exit_code == 78);
  CHECK(missing.err.find("none.toml") != std::string::npos);
}

TEST_CASE("ssectl has no colour on a dumb terminal", "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  // script(1) gives ssectl a terminal for stdout.
  auto on_tty = [&](const std::string& term) {
    const std::string command = e2e::ssectl_bin() + " --server " + server.url() + " status";
    return e2e::run({"script", "-qec", command, "/dev/null"}, "", e2e::ssectl_env({{"TERM", term}}))
        .out;
  };
  CHECK(on_tty("xterm").find("\x1b[") != std::string::npos);
  CHECK(on_tty("dumb").find("\x1b[") == std::string::npos);
}

TEST_CASE("ssectl wait watches several streams and runs COMMAND once all are open",
          "[ssectl][ci][wait]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto waited = wait_for(server,
                         {"-v", "wait", "notifications,chat", "--room", "ci", "--match",
                          "message=hello", "-o", "json", "--timeout", "30s"},
                         {"send", "chat", "--room", "ci", "hello"});
  REQUIRE(waited.exit_code == 0);
  CHECK(e2e::count_of(waited.out, "\n") == 1);
  CHECK(waited.out.rfind("{\"channel\":\"chat\",", 0) == 0);
  // COMMAND started after both streams had connected.
  const size_t running = waited.err.find("every stream is open; running");
  REQUIRE(running != std::string::npos);
  CHECK(waited.err.find("connected to /notifications/stream") < running);
  CHECK(waited.err.find("connected to /chat/stream") < running);

  auto no_follow = ssectl_at(server, {"wait", "realtime", "--last-event-id", "0", "--no-follow"});
  CHECK(no_follow.exit_code == 64);
}

TEST_CASE("ssectl tail dropped before its first event still gets what came meanwhile",
          "[ssectl][ci]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_LIMITS_RETRY", "3s"}});
  auto tail = e2e::ssectl_child({"-o", "json", "tail", "realtime", "--count", "1", "--server",
                                 server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "realtime"));
  const std::string id = e2e::first_stream_id(server.url(), "realtime");
  REQUIRE(ssectl_at(server, {"connections", "kick", id}).exit_code == 0);
  // Published while the tail waits out the server's retry: (3 s). The tail
  // had no event yet; it resumes from the newest id it was started at.
  const std::string away = publish_update(server, "away", "{}");
  REQUIRE(tail->wait(30s) == 0);
  CHECK(e2e::json_string(tail->out(), "id") == away);
  CHECK(tail->err().find("reconnected") != std::string::npos);
}

TEST_CASE("ssectl wait runs COMMAND even when the event came first", "[ssectl][ci][wait]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  REQUIRE(ssectl_at(server, {"send", "chat", "--room", "ci", "early"}).exit_code == 0);
  e2e::TempDir dir;
  const std::string ran = (dir.path() / "ran").string();
  // The replayed message may come before the second stream is open.
  auto waited =
      ssectl_at(server, {"wait", "chat,notifications", "--room", "ci", "--event", "message",
                         "--last-event-id", "0", "--timeout", "30s", "--", "touch", ran});
  CHECK(waited.exit_code == 0);
  CHECK(std::filesystem::exists(ran));
}

TEST_CASE("SIGTERM to ssectl wait ends COMMAND's process group too", "[ssectl][ci][wait]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::TempDir dir;
  const std::string pid_file = (dir.path() / "pid").string();
  auto waited =
      e2e::ssectl_child({"--server", server.url(), "--token", e2e::kDemoToken, "wait", "realtime",
                         "--", "sh", "-c", "echo $$ > " + pid_file + "; exec sleep 300"});
  // COMMAND writes its pid once ssectl has started it.
  auto read_pid = [&] {
    std::ifstream in(pid_file);
    std::string pid;
    std::getline(in, pid);
    return pid;
  };
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (read_pid().empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  const std::string pid = read_pid();
  REQUIRE(!pid.empty());
  waited->signal(SIGTERM);
  CHECK(waited->wait(30s) == 143);
  // The command is gone (or a zombie waiting for init), not left sleeping.
  auto sleeping = [&] {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string fields;
    std::getline(stat, fields);
    const size_t paren = fields.rfind(')');
    return paren != std::string::npos && paren + 2 < fields.size() && fields[paren + 2] != 'Z';
  };
  const auto gone_by = std::chrono::steady_clock::now() + 30s;
  while (sleeping() && std::chrono::steady_clock::now() < gone_by) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(!sleeping());
}
