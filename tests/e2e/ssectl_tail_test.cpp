// ssectl tail against a real sse-server: output formats, filters, --count and
// --timeout as a CI job uses them, and reconnection (admin kick, restart).

#include <csignal>

#include <catch2/catch.hpp>

#include "ssectl_helpers.hpp"

using namespace std::chrono_literals;

namespace {

std::string send_chat(const e2e::ServerProcess& server, const std::string& room,
                      const std::string& text) {
  auto result = e2e::ssectl(
      {"--server", server.url(), "--token", e2e::kDemoToken, "send", "chat", "--room", room, text});
  REQUIRE(result.exit_code == 0);
  return result.out.substr(0, result.out.find('\n'));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace

TEST_CASE("ssectl tail prints each event as it arrives and exits 0 after --count",
          "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto tail =
      e2e::ssectl_child({"tail", "chat", "--room", "lobby", "--event", "message", "--count", "2",
                         "-o", "json", "--server", server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "chat"));
  const std::string first = send_chat(server, "lobby", "one");
  // The first line is out before the second event exists: flushed per event
  // (tail waits for two, so it cannot have ended and flushed at exit).
  REQUIRE(tail->wait_for_output("\"message\":\"one\"", 10s));
  const std::string second = send_chat(server, "lobby", "two");
  REQUIRE(tail->wait(10s) == 0);
  const auto lines = lines_of(tail->out());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind(R"({"channel":"chat","id":")" + first +
                           R"(","event":"message","data":{"id":")" + first + "\"",
                       0) == 0);
  CHECK(e2e::json_string(lines[1], "id") == second);
  CHECK(lines[1].find("\"message\":\"two\"") != std::string::npos);
}

TEST_CASE("ssectl tail text and raw formats", "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  send_chat(server, "lobby", "hello world");
  auto text = e2e::ssectl({"tail", "chat", "--last-event-id", "0", "--count", "1", "--server",
                           server.url(), "--token", e2e::kDemoToken});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("message") != std::string::npos);
  CHECK(text.out.find("#lobby <testuser> hello world") != std::string::npos);
  CHECK(text.out.find("\x1b[") == std::string::npos);  // no colour on a pipe

  auto colour = e2e::ssectl({"tail", "chat", "--last-event-id", "0", "--count", "1", "--color",
                             "always", "--server", server.url(), "--token", e2e::kDemoToken});
  CHECK(colour.out.find("\x1b[") != std::string::npos);

  auto raw = e2e::ssectl({"-o", "raw", "tail", "chat", "--last-event-id", "0", "--count", "1",
                          "--server", server.url(), "--token", e2e::kDemoToken});
  CHECK(raw.exit_code == 0);
  CHECK(raw.out.rfind("id: 1\nevent: message\ndata: {\"id\":\"1\"", 0) == 0);
  CHECK(raw.out.size() > 2);
  CHECK(raw.out.substr(raw.out.size() - 2) == "\n\n");
}

TEST_CASE("ssectl tail filters by --event and hides heartbeats unless asked", "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_LIMITS_HEARTBEAT_INTERVAL", "200ms"}});
  auto quiet = e2e::ssectl({"tail", "notifications", "--timeout", "1s", "--server", server.url(),
                            "--token", e2e::kDemoToken});
  CHECK(quiet.exit_code == 75);  // heartbeats came, none printed, nothing else came
  CHECK(quiet.out.empty());
  CHECK(quiet.err.find("timed out") != std::string::npos);

  auto beats =
      e2e::ssectl({"-o", "json", "tail", "notifications", "--event", "heartbeat", "--count", "2",
                   "--timeout", "5s", "--server", server.url(), "--token", e2e::kDemoToken});
  CHECK(beats.exit_code == 0);
  const auto lines = lines_of(beats.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind(
            R"({"channel":"notifications","id":null,"event":"heartbeat","data":{"timestamp":)",
            0) == 0);
}

TEST_CASE("ssectl tail --entity-type and --event select realtime events", "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  const std::vector<std::string> auth = {"--server", server.url(), "--token", e2e::kDemoToken};
  auto publish = [&](const std::string& type, const std::string& action) {
    std::vector<std::string> args = {"send",        "update", "--entity-type", type,
                                     "--entity-id", "1",      "--action",      action};
    args.insert(args.end(), auth.begin(), auth.end());
    REQUIRE(e2e::ssectl(args).exit_code == 0);
  };
  publish("order", "create");
  publish("user", "update");
  publish("order", "delete");
  publish("order", "update");
  std::vector<std::string> args = {
      "-o",      "json",   "tail",    "realtime", "--entity-type",   "order",
      "--event", "delete", "--event", "update",   "--last-event-id", "0",
      "--count", "2"};
  args.insert(args.end(), auth.begin(), auth.end());
  auto result = e2e::ssectl(args);
  CHECK(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() == 2);
  CHECK(e2e::json_string(lines[0], "id") == "3");
  CHECK(e2e::json_string(lines[0], "event") == "delete");
  CHECK(e2e::json_string(lines[1], "id") == "4");
}

TEST_CASE("ssectl tail --timeout exits 75 when the events do not come", "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  const auto started = std::chrono::steady_clock::now();
  auto result = e2e::ssectl({"tail", "chat", "--count", "1", "--timeout", "700ms", "--server",
                             server.url(), "--token", e2e::kDemoToken});
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(result.exit_code == 75);
  CHECK(result.err.find("0 of 1 events") != std::string::npos);
  CHECK(took >= 700ms);  // not before its time (how long after is no contract)
}

TEST_CASE("ssectl tail --last-event-id resumes after that event", "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  for (const char* text : {"a", "b", "c"}) send_chat(server, "lobby", text);
  auto result = e2e::ssectl({"-o", "json", "tail", "chat", "--room", "lobby", "--event", "message",
                             "--last-event-id", "1", "--count", "2", "--server", server.url(),
                             "--token", e2e::kDemoToken});
  CHECK(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() == 2);
  CHECK(e2e::json_string(lines[0], "id") == "2");
  CHECK(e2e::json_string(lines[1], "id") == "3");
  CHECK(result.err.find("incomplete") == std::string::npos);
}

TEST_CASE("ssectl tail resumes after an admin kick and gets the missed events once",
          "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_LIMITS_RETRY", "1500ms"}});
  auto tail = e2e::ssectl_child({"-o", "json", "tail", "chat", "--room", "ops-room", "--event",
                                 "message", "--server", server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "chat"));
  const std::string before = send_chat(server, "ops-room", "before");
  REQUIRE(tail->wait_for_output("\"before\"", 5s));

  const std::string id = e2e::first_stream_id(server.url(), "chat");
  REQUIRE(
      e2e::ssectl({"connections", "kick", id, "--server", server.url(), "--token", e2e::kDemoToken})
          .exit_code == 0);
  // Published while the tail waits out the server's retry: (1.5 s).
  const std::string away1 = send_chat(server, "ops-room", "away-1");
  const std::string away2 = send_chat(server, "ops-room", "away-2");
  REQUIRE(e2e::wait_for_stderr(*tail, "reconnected", 10s));
  CHECK(tail->err().find("resuming after event " + before) != std::string::npos);
  REQUIRE(tail->wait_for_output("\"away-2\"", 5s));
  const std::string after = send_chat(server, "ops-room", "after");
  REQUIRE(tail->wait_for_output("\"after\"", 5s));

  const std::string& out = tail->out();
  CHECK(e2e::count_of(out, "\"message\":\"before\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"away-1\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"away-2\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"after\"") == 1);
  CHECK(out.find("\"away-1\"") < out.find("\"away-2\""));
  CHECK(tail->err().find("incomplete") == std::string::npos);
  tail->signal(SIGINT);
  CHECK(tail->wait(5s) == 130);
}

TEST_CASE("ssectl tail keeps going across a server restart and reports lost events",
          "[ssectl][tail]") {
  // The memory log forgets everything on restart: the replay is incomplete.
  e2e::ServerProcess server(
      {SSECTL_NO_STATUS_TICKS, {"SSE_LIMITS_RETRY", "500ms"}, {"SSE_HISTORY_BACKEND", "memory"}});
  auto tail = e2e::ssectl_child({"-o", "json", "tail", "chat", "--room", "lobby", "--event",
                                 "message", "--server", server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "chat"));
  send_chat(server, "lobby", "before-restart");
  REQUIRE(tail->wait_for_output("\"before-restart\"", 5s));

  server.stop(SIGKILL);
  REQUIRE(e2e::wait_for_stderr(*tail, "reconnecting", 5s));
  server.restart();  // same port, empty history: ids start at 1 again
  REQUIRE(e2e::wait_for_stderr(*tail, "reconnected", 15s));
  // The warning is its own line, written just after the notice.
  CHECK(e2e::wait_for_stderr(*tail, "some events were lost (X-SSE-Replay: incomplete)", 5s));
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "chat"));
  for (const char* text : {"after-1", "after-2", "after-3"}) send_chat(server, "lobby", text);
  REQUIRE(tail->wait_for_output("\"after-3\"", 5s));
  const std::string& out = tail->out();
  CHECK(e2e::count_of(out, "\"before-restart\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"after-1\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"after-2\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"after-3\"") == 1);
  // Still following: one more event still comes out.
  send_chat(server, "lobby", "after-4");
  CHECK(tail->wait_for_output("\"after-4\"", 10s));
}

TEST_CASE("ssectl tail across a crash of a server with the durable log loses nothing",
          "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_LIMITS_RETRY", "1s"}});
  auto tail = e2e::ssectl_child({"-o", "json", "tail", "chat", "--room", "lobby", "--event",
                                 "message", "--server", server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "chat"));
  send_chat(server, "lobby", "before-crash");
  REQUIRE(tail->wait_for_output("\"before-crash\"", 5s));

  server.stop(SIGKILL);
  REQUIRE(e2e::wait_for_stderr(*tail, "reconnecting", 5s));
  server.restart();  // same port, same database
  // Published while tail is still backing off: it must come by replay.
  send_chat(server, "lobby", "while-away");
  REQUIRE(e2e::wait_for_stderr(*tail, "reconnected", 15s));
  send_chat(server, "lobby", "after");
  REQUIRE(tail->wait_for_output("\"after\"", 5s));
  const std::string& out = tail->out();
  CHECK(e2e::count_of(out, "\"before-crash\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"while-away\"") == 1);
  CHECK(e2e::count_of(out, "\"message\":\"after\"") == 1);
  CHECK(out.find("while-away") < out.find("\"message\":\"after\""));
  CHECK(tail->err().find("lost") == std::string::npos);
}

TEST_CASE("ssectl tail --no-reconnect ends with the stream", "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto tail = e2e::ssectl_child({"tail", "notifications", "--no-reconnect", "--server",
                                 server.url(), "--token", e2e::kDemoToken});
  REQUIRE(e2e::wait_for_streams(server.port(), 1));
  server.stop(SIGTERM);  // graceful: maintenance event, then the stream closes
  REQUIRE(tail->wait(5s) == 0);
  CHECK(tail->err().find("reconnecting") == std::string::npos);
}

TEST_CASE("ssectl tail stops on 401 and 404 without retrying", "[ssectl][tail]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto refused =
      e2e::ssectl({"tail", "chat", "--server", server.url(), "--token", "bm90LWEtdG9rZW4="});
  CHECK(refused.exit_code == 77);
  CHECK(refused.err.find("reconnecting") == std::string::npos);

  auto none = e2e::ssectl({"tail", "chat", "--server", server.url()});
  CHECK(none.exit_code == 77);
  CHECK(none.err.find("--token") != std::string::npos);

  auto missing = e2e::ssectl(
      {"tail", "chat", "--server", server.url() + "/no/such/prefix", "--token", e2e::kDemoToken});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("404") != std::string::npos);
  CHECK(missing.err.find("reconnecting") == std::string::npos);
}

TEST_CASE("ssectl tail against nothing exits 69, and Ctrl-C exits 130", "[ssectl][tail]") {
  int port = 0;
  {
    e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
    port = server.port();
  }
  auto result =
      e2e::ssectl({"tail", "status", "--server", "http://127.0.0.1:" + std::to_string(port)});
  CHECK(result.exit_code == 69);
  CHECK(result.err.find("cannot reach sse-server") != std::string::npos);

  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto tail = e2e::ssectl_child({"tail", "status", "--server", server.url()});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "status"));
  tail->signal(SIGINT);
  CHECK(tail->wait(5s) == 130);
}

TEST_CASE("ssectl tail status shows status ticks and maintenance", "[ssectl][tail]") {
  e2e::ServerProcess server({{"SSE_LIMITS_STATUS_INTERVAL", "300ms"}});
  auto ticks =
      e2e::ssectl({"tail", "status", "--count", "1", "--timeout", "5s", "--server", server.url()});
  CHECK(ticks.exit_code == 0);
  CHECK(ticks.out.find("status") != std::string::npos);
  CHECK(ticks.out.find("connections=1") != std::string::npos);

  auto tail = e2e::ssectl_child({"-o", "json", "tail", "status", "--event", "maintenance",
                                 "--count", "1", "--server", server.url()});
  REQUIRE(e2e::wait_for_streams(server.port(), 1, "status"));
  auto sent = e2e::ssectl({"send", "maintenance", "--message", "db upgrade", "--duration", "30m",
                           "--starts-at", "2030-01-31T22:00:00Z", "--server", server.url(),
                           "--token", e2e::kDemoToken});
  REQUIRE(sent.exit_code == 0);
  REQUIRE(tail->wait(5s) == 0);
  CHECK(tail->out().find("\"message\":\"db upgrade\"") != std::string::npos);
  CHECK(tail->out().find("\"durationSeconds\":1800") != std::string::npos);
  CHECK(tail->out().find("\"startsAt\":\"2030-01-31T22:00:00.000Z\"") != std::string::npos);
}
