// ssectl send against a real sse-server: every kind, every output format,
// --data sources, --stdin-lines, and the exit code of each failure.

#include <csignal>

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
  CHECK(limited.exit_code == 75);
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
