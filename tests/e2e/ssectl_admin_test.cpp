// ssectl connections, status, settings precedence (flags > SSECTL_* > config
// file) and the exit codes for timeouts and non-sse-server answers.

#include <atomic>
#include <csignal>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <catch2/catch.hpp>

#include "ssectl_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// Answers every request with a 200 HTML page: an HTTP server that is not sse-server.
class NotSseServer {
 public:
  NotSseServer() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    socket_.setReceiveTimeout(Poco::Timespan(0, 100000));
    thread_ = std::thread([this] {
      while (!stop_) {
        try {
          Poco::Net::StreamSocket client = socket_.acceptConnection();
          char buffer[4096];
          (void)client.receiveBytes(buffer, sizeof buffer);
          const std::string page =
              "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\nConnection: "
              "close\r\n\r\n<html>";
          client.sendBytes(page.data(), static_cast<int>(page.size()));
          client.close();
        } catch (const Poco::Exception&) {
        }
      }
    });
  }
  ~NotSseServer() {
    stop_ = true;
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()); }

 private:
  Poco::Net::ServerSocket socket_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Listens on `port` (where sse-server was) and answers each request with a
// 503 from /ready, as a server that is still starting does; counts them.
class NotReadyServer {
 public:
  explicit NotReadyServer(int port)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port))) {
    socket_.setReceiveTimeout(Poco::Timespan(0, 100000));
    thread_ = std::thread([this] {
      while (!stop_) {
        try {
          Poco::Net::StreamSocket client = socket_.acceptConnection();
          char buffer[4096];
          (void)client.receiveBytes(buffer, sizeof buffer);
          const std::string body = R"({"error":{"code":"unavailable","message":"starting"}})";
          const std::string answer =
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
              "Content-Length: " +
              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
          client.sendBytes(answer.data(), static_cast<int>(answer.size()));
          client.close();
          ++answered_;
        } catch (const Poco::Exception&) {
        }
      }
    });
  }
  ~NotReadyServer() { close(); }
  // Waits until `count` requests have been answered; false on timeout.
  bool wait_answered(int count, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (answered_ < count) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }
  void close() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    socket_.close();
  }

 private:
  Poco::Net::ServerSocket socket_;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("ssectl connections list shows open streams as a table or JSON, with filters",
          "[ssectl][connections]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::SseClient bob(server.port(), "/chat/stream?room=lobby&token=" + e2e::user_token("bob"));
  e2e::SseClient carol(server.port(), "/notifications/stream?token=" + e2e::user_token("carol"));
  REQUIRE(e2e::wait_for_streams(server.port(), 2));
  const std::vector<std::string> auth = {"--server", server.url(), "--token", e2e::kDemoToken};
  auto args = [&](std::vector<std::string> a) {
    a.insert(a.end(), auth.begin(), auth.end());
    return a;
  };
  auto table = e2e::ssectl(args({"connections", "list"}));
  CHECK(table.exit_code == 0);
  CHECK(table.out.rfind("ID ", 0) == 0);
  CHECK(table.out.find("STREAM") != std::string::npos);
  CHECK(table.out.find("bob") != std::string::npos);
  CHECK(table.out.find("lobby") != std::string::npos);
  CHECK(e2e::count_of(table.out, "\n") == 3);

  auto json = e2e::ssectl(args({"-o", "json", "connections", "list", "--user", "carol"}));
  CHECK(json.exit_code == 0);
  CHECK(json.out.rfind("{\"connections\":[{", 0) == 0);
  CHECK(json.out.find("\"userId\":\"carol\"") != std::string::npos);
  CHECK(json.out.find("bob") == std::string::npos);
  auto chat_only = e2e::ssectl(args({"-o", "json", "connections", "list", "--stream", "chat"}));
  CHECK(chat_only.out.find("carol") == std::string::npos);
  CHECK(chat_only.out.find("bob") != std::string::npos);

  auto denied = e2e::ssectl(
      {"connections", "list", "--server", server.url(), "--token", e2e::user_token("bob")});
  CHECK(denied.exit_code == 77);
}

TEST_CASE("ssectl connections kick closes a stream, and an unknown id exits 1",
          "[ssectl][connections]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::SseClient bob(server.port(), "/notifications/stream?token=" + e2e::user_token("bob"));
  REQUIRE(e2e::wait_for_streams(server.port(), 1));
  auto listed = e2e::ssectl(
      {"-o", "json", "connections", "list", "--server", server.url(), "--token", e2e::kDemoToken});
  const size_t open = listed.out.find('[') + 1;
  const std::string id =
      e2e::json_string(listed.out.substr(open, listed.out.find('}', open) - open + 1), "id");
  auto kicked = e2e::ssectl(
      {"connections", "kick", id, "--server", server.url(), "--token", e2e::kDemoToken});
  CHECK(kicked.exit_code == 0);
  CHECK(kicked.out == "closed connection " + id + "\n");
  CHECK(bob.wait_closed(5s));
  auto again = e2e::ssectl(
      {"connections", "kick", id, "--server", server.url(), "--token", e2e::kDemoToken});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("no open connection has id " + id) != std::string::npos);
}

TEST_CASE("ssectl status shows health, readiness and the snapshot", "[ssectl][status]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto text = e2e::ssectl({"status", "--server", server.url()});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("health:      ok") != std::string::npos);
  CHECK(text.out.find("ready:       yes") != std::string::npos);
  CHECK(text.out.find("uptime:") != std::string::npos);
  auto json = e2e::ssectl({"status", "-o", "json", "--server", server.url()});
  CHECK(json.exit_code == 0);
  CHECK(
      json.out.find(
          "\"healthy\":true,\"ready\":true,\"lastEventId\":\"0\",\"status\":{\"status\":\"ok\"") !=
      std::string::npos);
}

TEST_CASE("ssectl status --wait waits for a server that comes up, and exits 75 when none does",
          "[ssectl][status]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  server.stop(SIGKILL);
  auto waiting =
      e2e::ssectl_child({"status", "--wait", "60s", "-o", "json", "--server", server.url()});
  {
    // On the port, a server that is not ready yet: ssectl asks again after a
    // 503 (a second request proves it did not give up at the first).
    NotReadyServer starting(server.port());
    REQUIRE(starting.wait_answered(2, 30s));
  }
  CHECK_FALSE(waiting->wait(0ms).has_value());  // still waiting: it cannot be ready yet
  server.restart();
  REQUIRE(waiting->wait(30s) == 0);
  CHECK(waiting->out().find("\"ready\":true") != std::string::npos);

  server.stop(SIGKILL);
  auto gone = e2e::ssectl({"status", "--wait", "600ms", "--server", server.url()});
  CHECK(gone.exit_code == 75);
  CHECK(gone.err.find("not ready within 600ms") != std::string::npos);
}

TEST_CASE("ssectl exit codes for a silent server (75) and a server that is not sse-server (76)",
          "[ssectl][errors]") {
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));  // never accepts
  const std::string silent_url = "http://127.0.0.1:" + std::to_string(silent.address().port());
  auto timed_out = e2e::ssectl({"status", "--timeout", "300ms", "--server", silent_url});
  CHECK(timed_out.exit_code == 75);
  CHECK(timed_out.err.find("raise --timeout") != std::string::npos);

  NotSseServer html;
  auto status = e2e::ssectl({"status", "--server", html.url()});
  CHECK(status.exit_code == 76);
  auto send =
      e2e::ssectl({"send", "typing", "--room", "r", "--server", html.url(), "--token", "x"});
  CHECK(send.exit_code == 76);
  auto tail = e2e::ssectl({"tail", "status", "--server", html.url()});
  CHECK(tail.exit_code == 76);
  CHECK(tail.err.find("not an event stream") != std::string::npos);
}

TEST_CASE("ssectl settings: flags beat SSECTL_* which beat the config file", "[ssectl][config]") {
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  e2e::TempDir home;
  std::filesystem::create_directories(home.path() / "ssectl");
  const std::string dead = "http://127.0.0.1:1";
  home.file("ssectl/config.toml", "server = \"" + server.url() +
                                      "\"\noutput = \"json\"\ntoken = \"" + e2e::kDemoToken +
                                      "\"\ntimeout = \"5s\"\n");
  const std::map<std::string, std::string> xdg = {{"XDG_CONFIG_HOME", home.path().string()}};

  auto from_file = e2e::ssectl({"send", "typing", "--room", "r"}, "", xdg);
  CHECK(from_file.exit_code == 0);
  CHECK(from_file.out.rfind("{\"id\":\"1\"", 0) == 0);  // output = "json" from the file

  auto env = xdg;
  env["SSECTL_SERVER"] = dead;
  env["SSECTL_OUTPUT"] = "text";
  auto env_wins = e2e::ssectl({"send", "typing", "--room", "r"}, "", env);
  CHECK(env_wins.exit_code == 69);
  CHECK(env_wins.err.find("SSECTL_SERVER") != std::string::npos);

  auto flag_wins =
      e2e::ssectl({"send", "typing", "--room", "r", "--server", server.url()}, "", env);
  CHECK(flag_wins.exit_code == 0);
  CHECK(flag_wins.out == "2\n");  // SSECTL_OUTPUT=text beat the file's json

  auto token_file =
      e2e::ssectl({"send", "typing", "--room", "r", "--server", server.url(), "--token-file",
                   home.file("token", e2e::user_token("erin") + "\n")});
  CHECK(token_file.exit_code == 0);
  auto stdin_token =
      e2e::ssectl({"--token", "-", "send", "typing", "--room", "r", "--server", server.url()},
                  e2e::user_token("erin") + "\n");
  CHECK(stdin_token.exit_code == 0);

  home.file("ssectl/config.toml", "server = 3000\n");
  auto bad_type = e2e::ssectl({"status"}, "", xdg);
  CHECK(bad_type.exit_code == 78);
  CHECK(bad_type.err.find("key 'server' must be a string") != std::string::npos);
  home.file("ssectl/config.toml", "srever = \"x\"\n");
  auto unknown = e2e::ssectl({"status"}, "", xdg);
  CHECK(unknown.exit_code == 78);
  CHECK(unknown.err.find("unknown key 'srever'") != std::string::npos);
  home.file("ssectl/config.toml", "server = \n");
  CHECK(e2e::ssectl({"status"}, "", xdg).exit_code == 78);
  CHECK(e2e::ssectl({"status"}, "", {{"SSECTL_TIMEOUT", "soon"}}).exit_code == 78);
  CHECK(e2e::ssectl({"status", "--timeout", "soon"}).exit_code == 64);
}

TEST_CASE("ssectl usage: --help exits 0, global options go before or after the command",
          "[ssectl][usage]") {
  auto help = e2e::ssectl({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("tail") != std::string::npos);
  auto sub_help = e2e::ssectl({"tail", "--help"});
  CHECK(sub_help.exit_code == 0);
  CHECK(sub_help.out.find("--last-event-id") != std::string::npos);
  auto version = e2e::ssectl({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("ssectl ", 0) == 0);

  auto none = e2e::ssectl({});
  CHECK(none.exit_code == 64);
  auto unknown = e2e::ssectl({"tail", "chat", "--frobnicate"});
  CHECK(unknown.exit_code == 64);
  CHECK(unknown.err.find("frobnicate") != std::string::npos);
  auto bad_stream = e2e::ssectl({"tail", "everything"});
  CHECK(bad_stream.exit_code == 64);

  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto before = e2e::ssectl({"--server", server.url(), "-o", "json", "status"});
  auto after = e2e::ssectl({"status", "--server", server.url(), "-o", "json"});
  CHECK(before.exit_code == 0);
  CHECK(after.exit_code == 0);
  CHECK(after.out.rfind("{\"server\":", 0) == 0);
}
