// End-to-end, hostile HTTP: huge headers, 10,000 header lines, a 1 MB URL,
// thousands of query parameters, pipelining, HTTP/1.0, a stream request with
// a body, bogus methods and bytes that are not HTTP at all. The server answers
// each without a success it should not give, runs no bytes of a body as a
// request, and keeps serving.

#include <future>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");

// A refusal from the HTTP layer: the connection ends, and whatever answer
// came first is a 4xx (never a success, never a server fault).
void expect_refused(const RawReply& reply) {
  INFO(reply.bytes.substr(0, 300));
  CHECK(reply.closed);
  for (int status : reply.statuses()) {
    CHECK(status >= 400);
    CHECK(status < 500);
  }
  CHECK(reply.bytes.find("retry:") == std::string::npos);
}

std::string get(const std::string& target, const std::string& headers = "",
                const std::string& version = "HTTP/1.1") {
  return "GET " + target + " " + version + "\r\nHost: x\r\n" + headers + "\r\n";
}

}  // namespace

TEST_CASE("huge headers, 10,000 header lines and a 1 MB URL are refused", "[hostile][http]") {
  ServerProcess server;
  const std::string stream = "/realtime/stream?token=" + kAlice;
  const std::string big_value(100 * 1024, 'a');
  std::string many_lines;
  for (int i = 0; i < 10000; ++i) many_lines += "X-Line-" + std::to_string(i) + ": v\r\n";
  const std::string mega_query = "?x=" + std::string(1024 * 1024, 'u');

  for (const std::string& target : {std::string("/health"), stream}) {
    INFO(target);
    expect_refused(raw_exchange(server.port(), get(target, "X-Big: " + big_value + "\r\n"), 5s));
    expect_refused(raw_exchange(server.port(),
                                get(target, "Authorization: Bearer " + big_value + "\r\n"), 5s));
    expect_refused(raw_exchange(server.port(), get(target, many_lines), 5s));
    expect_refused(raw_exchange(server.port(), get(target + mega_query), 5s));
    expect_refused(
        raw_exchange(server.port(), get("/" + std::string(1024 * 1024, 'p') + target), 5s));
    // A header name as long as a value may be.
    expect_refused(raw_exchange(server.port(), get(target, big_value + ": v\r\n"), 5s));
  }
  // The refusals were answered by the HTTP layer, which names them 400.
  auto one =
      raw_exchange(server.port(), get("/health", "X-Big: " + std::string(9000, 'a') + "\r\n"));
  CHECK(one.statuses() == std::vector<int>{400});
  // A token too long to be one, within the header limits: 401, with a reason.
  auto long_token = http(server.port(), "GET", "/notifications/stream", "",
                         {{"Authorization", "Bearer " + std::string(8000, 'A')}});
  expect_error(long_token, 401, "unauthorized");
  auto query_token =
      http(server.port(), "GET", "/notifications/stream?token=" + std::string(16000, 'A'));
  expect_error(query_token, 401, "unauthorized");
  expect_still_serving(server.port());
}

TEST_CASE("thousands of query parameters cost nothing and hide nothing", "[hostile][http]") {
  ServerProcess server;
  std::string junk;
  for (int i = 0; i < 3000; ++i) junk += "p" + std::to_string(i % 10) + "=&";
  REQUIRE(junk.size() > 9000);
  const auto started = Clock::now();
  // The token and the filter after 3,000 other parameters are still found.
  SseClient stream(server.port(), "/realtime/stream?" + junk + "entityType=deep&token=" + kAlice);
  REQUIRE(stream.status() == 200);
  auto sent = http(server.port(), "POST", "/realtime/update?" + junk,
                   R"({"entityType":"deep","entityId":"1","action":"create","data":null})",
                   {{"Authorization", "Bearer " + kAlice}, {"Content-Type", "application/json"}});
  CHECK(sent.status == 202);
  REQUIRE(stream.wait_for_events(1));
  CHECK(stream.events()[0].type == "create");
  CHECK(Clock::now() - started < 3s);
  // The same name thousands of times: the first one counts.
  std::string repeated;
  for (int i = 0; i < 1500; ++i) repeated += "token=x&";
  SseClient refused(server.port(), "/notifications/stream?" + repeated + "token=" + kAlice);
  CHECK(refused.status() == 401);
  // Broken percent-encoding is not a way around anything.
  SseClient broken(server.port(), "/chat/stream?room=ops&x=%zz&token=" + kAlice);
  CHECK(broken.status() != 200);
  expect_still_serving(server.port());
}

TEST_CASE("pipelined requests are answered in order; a body is never run as a request",
          "[hostile][http]") {
  ServerProcess server;
  SseClient watcher(server.port(), "/chat/stream?room=general&token=" + user_token("wendy"));
  REQUIRE(watcher.wait_for_events(1));
  const std::string body = R"({"roomId":"general","message":"piped"})";
  const std::string post =
      "POST /chat/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAlice +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  auto piped = raw_exchange(server.port(), get("/health") + post + get("/nope") +
                                               get("/system/status", "Connection: close\r\n"));
  CHECK(piped.statuses() == std::vector<int>{200, 202, 404, 200});
  CHECK(piped.closed);
  REQUIRE(watcher.wait_for_events(2));
  CHECK(json_string(watcher.events()[1].data, "message") == "piped");

  // A request hidden in the body of a GET, of a refused POST, of a stream
  // request: never answered as a request of its own.
  const std::string hidden =
      "GET /admin/connections?token=" + kDemoToken + " HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string length = "Content-Length: " + std::to_string(hidden.size()) + "\r\n";
  auto in_get = raw_exchange(server.port(), get("/health", length) + hidden, 3s);
  CHECK(in_get.statuses() == std::vector<int>{200});
  CHECK(in_get.bytes.find("\"connections\"") == std::string::npos);
  auto in_refused_post =
      raw_exchange(server.port(),
                   "POST /chat/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                       length + "\r\n" + hidden,
                   3s);
  CHECK(in_refused_post.statuses() == std::vector<int>{401});
  CHECK(in_refused_post.bytes.find("\"connections\"") == std::string::npos);
  {
    Socket socket(server.port());
    REQUIRE(socket.send_all(get("/chat/stream?room=general&token=" + kAlice, length) + hidden +
                            get("/health")));
    std::string bytes;
    const auto deadline = Clock::now() + 500ms;
    while (Clock::now() < deadline && !socket.closed()) bytes += socket.receive(50ms);
    INFO(bytes);
    CHECK(bytes.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(bytes.find("HTTP/1.", 5) == std::string::npos);  // one response, then the stream
    CHECK(bytes.find("\"connections\"") == std::string::npos);
    CHECK(bytes.find("retry:") != std::string::npos);
    REQUIRE(
        post_json(server.port(), "/chat/send", kAlice, R"({"roomId":"general","message":"after"})")
            .status == 202);
    const auto until = Clock::now() + 3s;
    while (Clock::now() < until && bytes.find("\"after\"") == std::string::npos) {
      bytes += socket.receive(50ms);
    }
    CHECK(bytes.find("\"message\":\"after\"") != std::string::npos);
  }
  expect_still_serving(server.port());
}

TEST_CASE("HTTP/1.0 requests and streams work and close", "[hostile][http]") {
  ServerProcess server({{"SSE_LIMITS_STATUS_INTERVAL", "100ms"}});
  auto health = raw_exchange(server.port(), "GET /health HTTP/1.0\r\n\r\n", 3s);
  CHECK(health.statuses() == std::vector<int>{200});
  CHECK(health.closed);  // no keep-alive unless asked for
  CHECK(health.bytes.find(R"({"status":"ok"})") != std::string::npos);

  const std::string body = R"({"roomId":"general","message":"old client"})";
  auto post = raw_exchange(server.port(),
                           "POST /chat/send HTTP/1.0\r\nAuthorization: Bearer " + kAlice +
                               "\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body,
                           3s);
  CHECK(post.statuses() == std::vector<int>{202});
  CHECK(post.closed);

  {
    Socket socket(server.port());
    REQUIRE(socket.send_all("GET /system/status/stream HTTP/1.0\r\n\r\n"));
    std::string bytes;
    const auto deadline = Clock::now() + 3s;
    while (Clock::now() < deadline && bytes.find("event: status") == std::string::npos) {
      bytes += socket.receive(50ms);
    }
    CHECK(bytes.find(" 200 ") != std::string::npos);
    CHECK(bytes.find("Transfer-Encoding") == std::string::npos);  // no chunks for 1.0
    CHECK(bytes.find("event: status") != std::string::npos);
  }
  // Versions that are not HTTP/1.x, and a request line with no version.
  for (const std::string line :
       {"GET /health HTTP/2.0", "GET /health HTTP/9.9", "GET /health HTTX/1.1", "GET /health"}) {
    INFO(line);
    auto reply = raw_exchange(server.port(), line + "\r\nHost: x\r\n\r\n", 3s);
    for (int status : reply.statuses()) CHECK(status != 500);
  }
  expect_still_serving(server.port());
}

TEST_CASE("bogus methods and bytes that are not HTTP", "[hostile][http]") {
  ServerProcess server({{"SSE_SERVER_REQUEST_TIMEOUT", "1s"}});
  for (const std::string method : {"FOO", "BREW", "get", "TRACE", "PATCH", "PUT"}) {
    INFO(method);
    auto r = http(server.port(), method, "/health");
    expect_error(r, 405, "method_not_allowed");
    CHECK(r.header("Allow").find("GET") != std::string::npos);
  }
  expect_error(http(server.port(), "FOO", "/chat/send"), 405, "method_not_allowed");
  expect_error(http(server.port(), "FOO", "/nowhere"), 404, "not_found");
  // A stream path with the wrong method opens no stream.
  auto post_stream = http(server.port(), "POST", "/notifications/stream?token=" + kAlice, "{}",
                          {{"Content-Type", "application/json"}});
  expect_error(post_stream, 405, "method_not_allowed");

  const std::vector<std::string> garbage = {
      std::string(40, 'M') + " /health HTTP/1.1\r\n\r\n",  // a method too long
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + std::string(64, '\x00'),  // TLS hello
      std::string("GET\0/health HTTP/1.1\r\n\r\n", 25),
      "GET /health HTTP/1.1\r\nNo-Colon-Here\r\nConnection: close\r\n\r\n",
      "GET /health HTTP/1.1\r\n : empty name\r\nConnection: close\r\n\r\n",
      "\r\n\r\n\r\n\r\n\r\n\r\n",
      std::string(100000, '\n'),
      "GET /health HTTP/1.1\nHost: x\nConnection: close\n\n",  // bare LF line ends
  };
  std::vector<std::future<RawReply>> replies;  // at once: each may wait out the timeout
  for (const auto& bytes : garbage) {
    replies.push_back(std::async(
        std::launch::async, [&server, bytes] { return raw_exchange(server.port(), bytes, 4s); }));
  }
  for (auto& pending : replies) {
    const RawReply reply = pending.get();
    INFO(reply.bytes.substr(0, 200));
    CHECK(reply.closed);  // answered, or dropped within the request timeout
    for (int status : reply.statuses()) CHECK(status != 500);
  }
  expect_still_serving(server.port());
}
