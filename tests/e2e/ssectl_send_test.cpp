// ssectl send against a real sse-server: every kind, every output format,
// --data sources, --stdin-lines, --message @FILE, --retry, and the exit code
// of each failure.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <regex>

#include <catch2/catch.hpp>

#include "ssectl_helpers.hpp"

using namespace std::chrono_literals;

namespace {

std::vector<std::string> with_server(const e2e::ServerProcess& server,
                                     std::vector<std::string> args,
                                     const std::string& token = e2e::kDemoToken) {
  args.insert(args.end(), {"--server", server.url(), "--token", token});
  return args;
}

// The delays announced by "retry K of N in S s" notices, in seconds.
std::vector<double> retry_delays(const std::string& err) {
  std::vector<double> delays;
  const std::regex notice(R"(retry \d+ of \d+ in ([0-9.]+) s)");
  for (std::sregex_iterator it(err.begin(), err.end(), notice), end; it != end; ++it) {
    delays.push_back(std::stod((*it)[1].str()));
  }
  return delays;
}

}  // namespace

TEST_CASE("ssectl send notification reaches the stream: text prints the id, json the answer",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::SseClient stream(server.port(), "/notifications/stream?token=" + e2e::kDemoToken);
  REQUIRE(stream.status() == 200);
  auto text = e2e::ssectl(with_server(server, {"send", "notification", "--title", "Build",
                                               "--message", "green", "--type", "success"}));
  CHECK(text.exit_code == 0);
  CHECK(text.out == "1\n");
  CHECK(text.err.empty());
  auto json = e2e::ssectl(with_server(server, {"-o", "json", "send", "notification", "--title",
                                               "Disk", "--message", "full", "--type", "error"}));
  CHECK(json.exit_code == 0);
  CHECK(json.out == "{\"id\":\"2\",\"delivered\":1}\n");
  REQUIRE(stream.wait_for_events(2, 5s));
  const auto events = stream.real_events();
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == "notification");
  CHECK(e2e::json_string(events[0].data, "title") == "Build");
  CHECK(e2e::json_string(events[0].data, "type") == "success");
  CHECK(e2e::json_string(events[0].data, "userId") == "test123");
  CHECK(events[1].type == "error-notification");
}

TEST_CASE("ssectl send update takes --data inline, from @file and from stdin", "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::TempDir dir;
  const std::string file = dir.file("data.json", R"({"from":"file"})");
  e2e::SseClient stream(server.port(), "/realtime/stream?token=" + e2e::kDemoToken);
  const std::vector<std::string> base = {"send",     "update",      "--entity-type",
                                         "order",    "--entity-id", "42",
                                         "--action", "update",      "--data"};
  auto args = [&](const std::string& data) {
    auto a = base;
    a.push_back(data);
    return with_server(server, a);
  };
  CHECK(e2e::ssectl(args(R"({"from":"flag"})")).exit_code == 0);
  CHECK(e2e::ssectl(args("@" + file)).exit_code == 0);
  CHECK(e2e::ssectl(args("-"), R"({"from":"stdin"})").exit_code == 0);
  REQUIRE(stream.wait_for_events(3, 5s));
  const auto events = stream.real_events();
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == "update");
  CHECK(events[0].data.find(R"("data":{"from":"flag"})") != std::string::npos);
  CHECK(events[1].data.find(R"("data":{"from":"file"})") != std::string::npos);
  CHECK(events[2].data.find(R"("data":{"from":"stdin"})") != std::string::npos);
  CHECK(e2e::json_string(events[0].data, "entityId") == "42");
}

TEST_CASE("ssectl send chat takes MESSAGE, --message or stdin, and typing reaches the room",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::SseClient stream(server.port(), "/chat/stream?room=lobby&token=" + e2e::user_token("bob"));
  REQUIRE(stream.status() == 200);
  CHECK(e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "positional"}))
            .exit_code == 0);
  CHECK(e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "--message", "flag"}))
            .exit_code == 0);
  CHECK(e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "-"}), "from stdin\n")
            .exit_code == 0);
  CHECK(e2e::ssectl(with_server(server, {"send", "typing", "--room", "lobby"})).exit_code == 0);
  auto twice =
      e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "--message", "a", "b"}));
  CHECK(twice.exit_code == 64);
  REQUIRE(stream.wait_for_events(5, 5s));  // user-joined (bob) + 4
  std::vector<std::string> seen;
  for (const auto& event : stream.real_events()) {
    seen.push_back(event.type + ":" + e2e::json_string(event.data, "message"));
  }
  CHECK(seen == std::vector<std::string>{"user-joined:", "message:positional", "message:flag",
                                         "message:from stdin", "typing:"});
}

TEST_CASE("ssectl send maintenance needs admin: 403 exits 77", "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto refused = e2e::ssectl(
      with_server(server, {"send", "maintenance", "--message", "m"}, e2e::user_token("alice")));
  CHECK(refused.exit_code == 77);
  CHECK(refused.err.find("not allowed") != std::string::npos);
  CHECK(refused.err.find("admin") != std::string::npos);
  auto ok = e2e::ssectl(
      with_server(server, {"send", "maintenance", "--message", "m", "--duration", "1h"}));
  CHECK(ok.exit_code == 0);
}

TEST_CASE("ssectl send --stdin-lines sends one event per line, or none on bad input",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  const std::string lines =
      "{\"message\":\"one\"}\n\n{\"message\":\"two\",\"roomId\":\"other\"}\n{\"message\":\"three\"}"
      "\n";
  auto sent =
      e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "--stdin-lines"}), lines);
  CHECK(sent.exit_code == 0);
  CHECK(sent.out == "1\n2\n3\n");
  auto replay = e2e::ssectl(
      with_server(server, {"-o", "json", "tail", "chat", "--last-event-id", "0", "--count", "3"}));
  CHECK(replay.out.find(
            R"("roomId":"other","userId":"test123","username":"testuser","message":"two")") !=
        std::string::npos);

  auto bad = e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "--stdin-lines"}),
                         "{\"message\":\"four\"}\n{not json\n");
  CHECK(bad.exit_code == 65);
  CHECK(bad.err.find("stdin line 2") != std::string::npos);
  CHECK(bad.out.empty());
  auto missing = e2e::ssectl(with_server(server, {"send", "notification", "--stdin-lines"}),
                             "{\"title\":\"t\"}\n");
  CHECK(missing.exit_code == 65);
  CHECK(missing.err.find("field 'message' is missing") != std::string::npos);
  // Nothing of the bad batches was sent: the next id follows the first batch.
  CHECK(e2e::ssectl(with_server(server, {"send", "typing", "--room", "lobby"})).out == "4\n");
}

TEST_CASE("ssectl send exit codes: usage, bad input, auth, unreachable, rate limit",
          "[ssectl][send]") {
  e2e::ServerProcess limited_server({SSECTL_NO_STATUS_TICKS,
                                     {"SSE_LIMITS_PUBLISH_RATE", "1"},
                                     {"SSE_LIMITS_PUBLISH_BURST", "1"}});
  auto first = e2e::ssectl(with_server(limited_server, {"send", "typing", "--room", "r"}));
  auto limited = e2e::ssectl(with_server(limited_server, {"send", "typing", "--room", "r"}));
  CHECK(first.exit_code == 0);
  CHECK(limited.exit_code == 79);
  CHECK(limited.err.find("try again in") != std::string::npos);

  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto missing = e2e::ssectl(with_server(server, {"send", "notification", "--title", "t"}));
  CHECK(missing.exit_code == 64);
  CHECK(missing.err == "ssectl: --message is required\n");
  auto bad_type = e2e::ssectl(with_server(
      server, {"send", "notification", "--title", "t", "--message", "m", "--type", "loud"}));
  CHECK(bad_type.exit_code == 64);
  CHECK(bad_type.err.find("--type") != std::string::npos);
  auto bad_json =
      e2e::ssectl(with_server(server, {"send", "update", "--entity-type", "a", "--entity-id", "1",
                                       "--action", "create", "--data", "-"}),
                  "{oops");
  CHECK(bad_json.exit_code == 65);
  CHECK(bad_json.err.find("not valid JSON") != std::string::npos);
  auto bad_token = e2e::ssectl(with_server(server, {"send", "typing", "--room", "r"}, "Zm9v"));
  CHECK(bad_token.exit_code == 77);
  CHECK(bad_token.err.find("refused the token from --token") != std::string::npos);
  auto bad_field = e2e::ssectl(with_server(server, {"send", "chat", "--room", "no/slash", "x"}));
  CHECK(bad_field.exit_code == 65);

  server.stop(SIGKILL);
  auto down = e2e::ssectl(with_server(server, {"send", "typing", "--room", "r"}));
  CHECK(down.exit_code == 69);
  CHECK(down.err.find("cannot reach sse-server") != std::string::npos);
}

TEST_CASE("ssectl send update --data takes every JSON value and refuses an empty one",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::SseClient stream(server.port(), "/realtime/stream?token=" + e2e::kDemoToken);
  REQUIRE(stream.status() == 200);
  const std::vector<std::string> base = {"send",        "update", "--entity-type", "order",
                                         "--entity-id", "42",     "--action",      "update"};
  auto args = [&](std::vector<std::string> extra) {
    auto a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return with_server(server, a);
  };
  const std::vector<std::string> values = {"42",   "true",      "null", "\"str\"",
                                           "-1.5", "[1,\"a\"]", " 7 "};
  for (const auto& value : values) {
    auto sent = e2e::ssectl(args({"--data", value}));
    INFO(value << ": " << sent.err);
    CHECK(sent.exit_code == 0);
  }
  CHECK(e2e::ssectl(args({"--data", "-"}), "false\n").exit_code == 0);
  CHECK(e2e::ssectl(args({})).exit_code == 0);
  REQUIRE(stream.wait_for_events(values.size() + 2, 5s));
  std::vector<std::string> data;
  for (const auto& event : stream.real_events()) {
    const size_t at = event.data.find(R"("data":)");
    REQUIRE(at != std::string::npos);
    const size_t end = event.data.find(R"(,"timestamp")", at);
    data.push_back(event.data.substr(at + 7, end == std::string::npos ? end : end - at - 7));
  }
  CHECK(data == std::vector<std::string>{"42", "true", "null", "\"str\"", "-1.5", "[1,\"a\"]", "7",
                                         "false", "{}"});

  auto empty = e2e::ssectl(args({"--data", ""}));
  CHECK(empty.exit_code == 65);
  CHECK(empty.err == "ssectl: --data is empty; pass a JSON value\n");
  auto empty_stdin = e2e::ssectl(args({"--data", "-"}), "\n");
  CHECK(empty_stdin.exit_code == 65);
  CHECK(empty_stdin.err.find("is empty; pass a JSON value") != std::string::npos);
  // The parser's complaint is about the text as given, not a wrapped copy.
  auto trailing = e2e::ssectl(args({"--data", "42 x"}));
  CHECK(trailing.exit_code == 65);
  CHECK(trailing.err.find("--data: not valid JSON") != std::string::npos);
  CHECK(trailing.err.find("empty stack") == std::string::npos);
  auto truncated = e2e::ssectl(args({"--data", "tru"}));
  CHECK(truncated.exit_code == 65);
  CHECK(truncated.err.find("not valid JSON") != std::string::npos);
  CHECK(truncated.err.find("']'") == std::string::npos);
}

TEST_CASE("ssectl send --stdin-lines refuses a field the endpoint does not know",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto room = e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "--stdin-lines"}),
                          "{\"message\":\"ok\"}\n{\"room\":\"other\",\"message\":\"hi\"}\n");
  CHECK(room.exit_code == 65);
  CHECK(room.err.find("stdin line 2") != std::string::npos);
  CHECK(room.err.find("'room'") != std::string::npos);
  CHECK(room.err.find("roomId, message") != std::string::npos);
  CHECK(room.out.empty());
  auto update = e2e::ssectl(with_server(server, {"send", "update", "--entity-type", "order",
                                                 "--action", "create", "--stdin-lines"}),
                            "{\"entityId\":\"1\",\"payload\":{}}\n");
  CHECK(update.exit_code == 65);
  CHECK(update.err.find("'payload'") != std::string::npos);
  CHECK(update.err.find("entityType, entityId, action, data") != std::string::npos);
  // Every field the server reads is accepted.
  auto notification = e2e::ssectl(
      with_server(server, {"send", "notification", "--stdin-lines"}),
      "{\"title\":\"t\",\"message\":\"m\",\"type\":\"warning\",\"userId\":\"test123\"}\n");
  CHECK(notification.exit_code == 0);
  CHECK(notification.out == "1\n");  // nothing of the refused batches was sent
}

TEST_CASE("ssectl send chat with MESSAGE and --stdin-lines is a usage error", "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto both = e2e::ssectl(
      with_server(server, {"send", "chat", "--room", "lobby", "--stdin-lines", "hello"}),
      "{\"message\":\"from the line\"}\n");
  CHECK(both.exit_code == 64);
  CHECK(both.err.find("MESSAGE") != std::string::npos);
  CHECK(both.err.find("--stdin-lines") != std::string::npos);
  CHECK(both.out.empty());
  CHECK(e2e::ssectl(with_server(server, {"send", "typing", "--room", "lobby"})).out == "1\n");
}

TEST_CASE("ssectl send --message @FILE reads the message from FILE and @@ escapes it",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::TempDir dir;
  const std::string file = dir.file("message.txt", "two\nlines  \n\n");
  e2e::SseClient notifications(server.port(), "/notifications/stream?token=" + e2e::kDemoToken);
  e2e::SseClient chat(server.port(), "/chat/stream?room=lobby&token=" + e2e::user_token("bob"));
  REQUIRE(notifications.status() == 200);
  REQUIRE(chat.status() == 200);
  CHECK(e2e::ssectl(
            with_server(server, {"send", "notification", "--title", "t", "--message", "@" + file}))
            .exit_code == 0);
  CHECK(
      e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "--message", "@" + file}))
          .exit_code == 0);
  CHECK(e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "--message", "@@home"}))
            .exit_code == 0);
  // The positional MESSAGE is always literal.
  CHECK(
      e2e::ssectl(with_server(server, {"send", "chat", "--room", "lobby", "@" + file})).exit_code ==
      0);
  REQUIRE(notifications.wait_for_events(1, 5s));
  CHECK(e2e::json_string(notifications.real_events()[0].data, "message") == "two\nlines  ");
  REQUIRE(chat.wait_for_events(4, 5s));  // user-joined (bob) + 3
  std::vector<std::string> seen;
  for (const auto& event : chat.real_events()) {
    if (event.type == "message") seen.push_back(e2e::json_string(event.data, "message"));
  }
  CHECK(seen == std::vector<std::string>{"two\nlines  ", "@home", "@" + file});

  const std::string missing_path = (dir.path() / "absent.txt").string();
  auto missing = e2e::ssectl(with_server(
      server, {"send", "notification", "--title", "t", "--message", "@" + missing_path}));
  CHECK(missing.exit_code == 65);
  CHECK(missing.err.find(missing_path) != std::string::npos);
  auto missing_chat = e2e::ssectl(
      with_server(server, {"send", "chat", "--room", "lobby", "--message", "@" + missing_path}));
  CHECK(missing_chat.exit_code == 65);
}

TEST_CASE("ssectl send --retry waits out a 429 no sooner than Retry-After while --retry 0 exits 79",
          "[ssectl][send]") {
  // One publish per 2 s, no burst: the second publish in a row is refused
  // with Retry-After 1 or 2.
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS,
                             {"SSE_LIMITS_PUBLISH_RATE", "0.5"},
                             {"SSE_LIMITS_PUBLISH_BURST", "1"}});
  REQUIRE(e2e::ssectl(with_server(server, {"send", "typing", "--room", "r"})).exit_code == 0);
  auto refused =
      e2e::ssectl(with_server(server, {"send", "typing", "--room", "r", "--retry", "0"}));
  CHECK(refused.exit_code == 79);
  CHECK(refused.err.find("try again in") != std::string::npos);
  CHECK(refused.err.find("retry 1") == std::string::npos);
  auto retried =
      e2e::ssectl(with_server(server, {"send", "typing", "--room", "r", "--retry", "3"}));
  INFO(retried.err);
  CHECK(retried.exit_code == 0);
  CHECK(retried.out == "2\n");  // the refused attempts logged nothing
  const auto delays = retry_delays(retried.err);
  REQUIRE(!delays.empty());
  CHECK(retried.err.find("(429); retry 1 of 3 in") != std::string::npos);
  for (double delay : delays) CHECK(delay >= 1.0);  // Retry-After is at least 1 s
}

TEST_CASE("ssectl send --stdin-lines --retry gives each line its own retries and sends each once",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS,
                             {"SSE_LIMITS_PUBLISH_RATE", "0.5"},
                             {"SSE_LIMITS_PUBLISH_BURST", "1"}});
  auto sent = e2e::ssectl(
      with_server(server, {"send", "chat", "--room", "lobby", "--stdin-lines", "--retry", "3"}),
      "{\"message\":\"one\"}\n{\"message\":\"two\"}\n{\"message\":\"three\"}\n");
  INFO(sent.err);
  CHECK(sent.exit_code == 0);
  CHECK(sent.out == "1\n2\n3\n");
  CHECK(sent.err.find("stdin line 2: ") != std::string::npos);  // right after line 1: a 429
  auto replay = e2e::ssectl(
      with_server(server, {"-o", "json", "tail", "chat", "--last-event-id", "0", "--count", "3"}));
  CHECK(e2e::count_of(replay.out, R"("message":"one")") == 1);
  CHECK(e2e::count_of(replay.out, R"("message":"two")") == 1);
  CHECK(e2e::count_of(replay.out, R"("message":"three")") == 1);
  CHECK(
      e2e::ssectl(with_server(server, {"send", "typing", "--room", "lobby", "--retry", "5"})).out ==
      "4\n");
}

TEST_CASE("ssectl send --retry 1 against a closed port tries twice then exits 69",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  server.stop(SIGKILL);
  auto down = e2e::ssectl(with_server(server, {"send", "typing", "--room", "r", "--retry", "1"}));
  CHECK(down.exit_code == 69);
  CHECK(e2e::count_of(down.err, "cannot reach sse-server") == 2);  // the notice and the failure
  CHECK(e2e::count_of(down.err, "retry 1 of 1") == 1);
  CHECK(e2e::count_of(down.err, "retry ") == 1);
}

TEST_CASE("ssectl send --retry reaches a server that starts after the first attempt",
          "[ssectl][send]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  server.stop(SIGKILL);
  auto child =
      e2e::ssectl_child(with_server(server, {"send", "typing", "--room", "r", "--retry", "8"}));
  REQUIRE(e2e::wait_for_stderr(*child, "retry 1 of 8", 30s));
  server.restart();
  const auto code = child->wait(120s);
  INFO(child->err());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(child->out() == "1\n");
}

TEST_CASE("ssectl send --retry does not resend a request that timed out", "[ssectl][send]") {
  e2e::SilentListener listener;
  auto timed_out = e2e::ssectl({"send", "typing", "--room", "r", "--retry", "3", "--timeout",
                                "300ms", "--server", listener.url(), "--token", e2e::kDemoToken});
  CHECK(timed_out.exit_code == 75);
  CHECK(timed_out.err.find("retry") == std::string::npos);
  CHECK(listener.connections() == 1);
}
