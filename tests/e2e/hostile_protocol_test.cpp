// End-to-end, hostile HTTP: huge headers, 10,000 header lines, a 1 MB URL,
// thousands of query parameters, pipelining, HTTP/1.0, a stream request with
// a body, bogus methods and bytes that are not HTTP at all. The server gives
// each its one answer (or, for a head that never ends, none), runs no bytes of
// a body as a request, and keeps serving.

#include <future>
#include <tuple>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");

// A refusal from the HTTP layer: one JSON error with this status and code,
// then the connection ends; never a stream byte.
void expect_refused(const RawReply& reply, int status, const std::string& code) {
  INFO(reply.bytes.substr(0, 300));
  CHECK(reply.closed);
  CHECK(reply.statuses() == std::vector<int>{status});
  CHECK(reply.bytes.find(R"({"error":{"code":")" + code + "\"") != std::string::npos);
  CHECK(reply.bytes.find("Content-Type: application/json") != std::string::npos);
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
    // RFC 6585 5: 431 for a head over 32 KiB (server.max_head_bytes), or more
    // than 100 header fields (server.max_header_fields).
    const std::string too_large = "request_header_fields_too_large";
    expect_refused(raw_exchange(server.port(), get(target, "X-Big: " + big_value + "\r\n")), 431,
                   too_large);
    expect_refused(
        raw_exchange(server.port(), get(target, "Authorization: Bearer " + big_value + "\r\n")),
        431, too_large);
    expect_refused(raw_exchange(server.port(), get(target, many_lines)), 431, too_large);
    // A header name as long as a value may be.
    expect_refused(raw_exchange(server.port(), get(target, big_value + ": v\r\n")), 431, too_large);
    // RFC 9112 3: 414 for a request target over 8 KiB (server.max_url_bytes),
    // in the query or the path.
    expect_refused(raw_exchange(server.port(), get(target + mega_query)), 414, "uri_too_long");
    expect_refused(raw_exchange(server.port(), get("/" + std::string(1024 * 1024, 'p') + target)),
                   414, "uri_too_long");
  }
  // A head of exactly `size` bytes, every byte through the blank line counted.
  auto head_of = [](size_t size, const std::string& extra) {
    const std::string bare = get("/health", extra + "X-Big: \r\n");
    return get("/health", extra + "X-Big: " + std::string(size - bare.size(), 'a') + "\r\n");
  };
  REQUIRE(head_of(32768, "").size() == 32768);
  // Just over the limits: a head of 32769 bytes, 101 headers, an 8193-byte target.
  expect_refused(raw_exchange(server.port(), head_of(32769, "")), 431,
                 "request_header_fields_too_large");
  std::string lines_101;
  for (int i = 0; i < 100; ++i) lines_101 += "X-Line-" + std::to_string(i) + ": v\r\n";
  expect_refused(raw_exchange(server.port(), get("/health", lines_101)), 431,
                 "request_header_fields_too_large");  // with Host, 101
  expect_refused(raw_exchange(server.port(), get("/health?x=" + std::string(8193 - 10, 'u'))), 414,
                 "uri_too_long");
  // At the limits, fine: a head of 32768 bytes, 100 headers, an 8192-byte target.
  const std::string close = "Connection: close\r\n";
  CHECK(raw_exchange(server.port(), head_of(32768, close)).statuses() == std::vector<int>{200});
  std::string lines_100;  // with Host and Connection
  for (int i = 0; i < 98; ++i) lines_100 += "X-Line-" + std::to_string(i) + ": v\r\n";
  CHECK(raw_exchange(server.port(), get("/health", lines_100 + close)).statuses() ==
        std::vector<int>{200});
  CHECK(raw_exchange(server.port(), get("/health?x=" + std::string(8192 - 10, 'u'), close))
            .statuses() == std::vector<int>{200});
  // A token too long to be one (over 16 KiB), within the head limit: 401,
  // with a reason; and one as long as the target limit allows, in the query.
  auto long_token = http(server.port(), "GET", "/notifications/stream", "",
                         {{"Authorization", "Bearer " + std::string(17000, 'A')}});
  expect_error(long_token, 401, "unauthorized");
  auto query_token =
      http(server.port(), "GET", "/notifications/stream?token=" + std::string(8000, 'A'));
  expect_error(query_token, 401, "unauthorized");
  expect_still_serving(server.port());
}

TEST_CASE("thousands of query parameters cost nothing and hide nothing", "[hostile][http]") {
  ServerProcess server;
  // 2,500 of them, as many as fit in the 8 KiB target limit.
  std::string junk;
  for (int i = 0; i < 2500; ++i) junk += std::string(1, static_cast<char>('a' + i % 10)) + "=&";
  REQUIRE(junk.size() == 7500);
  // The token and the filter after 2,500 other parameters are still found.
  SseClient stream(server.port(), "/realtime/stream?" + junk + "entityType=deep&token=" + kAlice);
  REQUIRE(stream.status() == 200);
  auto sent = http(server.port(), "POST", "/realtime/update?" + junk,
                   R"({"entityType":"deep","entityId":"1","action":"create","data":null})",
                   {{"Authorization", "Bearer " + kAlice}, {"Content-Type", "application/json"}});
  CHECK(sent.status == 202);
  REQUIRE(stream.wait_for_events(1));
  CHECK(stream.events()[0].type == "create");
  // The same name thousands of times: the first one counts.
  std::string repeated;
  for (int i = 0; i < 900; ++i) repeated += "token=x&";
  SseClient refused(server.port(), "/notifications/stream?" + repeated + "token=" + kAlice);
  CHECK(refused.status() == 401);
  // Broken percent-encoding (RFC 3986 2.1) is a 400 that says so, not a
  // query read as empty (which would say "missing token").
  SseClient broken(server.port(), "/chat/stream?room=ops&x=%zz&token=" + kAlice);
  CHECK(broken.status() == 400);
  CHECK(broken.body().find("the query string is not valid percent-encoding") != std::string::npos);
  for (const std::string target : {"/health?x=%", "/health?x=%4", "/realtime/stream?token=%zz"}) {
    INFO(target);
    expect_error(http(server.port(), "GET", target), 400, "bad_request");
  }
  expect_still_serving(server.port());
}

TEST_CASE("pipelined requests are answered in order, and a body is never run as a request",
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
  auto in_get = raw_exchange(server.port(), get("/health", length) + hidden);
  CHECK(in_get.statuses() == std::vector<int>{200});
  CHECK(in_get.bytes.find("\"connections\"") == std::string::npos);
  auto in_refused_post = raw_exchange(
      server.port(), "POST /chat/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                         length + "\r\n" + hidden);
  CHECK(in_refused_post.statuses() == std::vector<int>{401});
  CHECK(in_refused_post.bytes.find("\"connections\"") == std::string::npos);
  {
    Socket socket(server.port());
    REQUIRE(socket.send_all(get("/chat/stream?room=general&token=" + kAlice, length) + hidden +
                            get("/health")));
    // The connection is a stream from its first request on: once a message
    // published now has arrived on it, any answer to the bytes sent behind
    // the stream request would have come before it.
    std::string bytes;
    const auto deadline = Clock::now() + 10s;
    while (bytes.find("retry:") == std::string::npos && !socket.closed() && Clock::now() < deadline)
      bytes += socket.receive(50ms);
    REQUIRE(
        post_json(server.port(), "/chat/send", kAlice, R"({"roomId":"general","message":"after"})")
            .status == 202);
    while (bytes.find("\"message\":\"after\"") == std::string::npos && !socket.closed() &&
           Clock::now() < deadline) {
      bytes += socket.receive(50ms);
    }
    INFO(bytes);
    CHECK(bytes.find("\"message\":\"after\"") != std::string::npos);
    CHECK(bytes.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(bytes.find("HTTP/1.", 5) == std::string::npos);  // one response, then the stream
    CHECK(bytes.find("\"connections\"") == std::string::npos);
  }
  expect_still_serving(server.port());
}

TEST_CASE("HTTP/1.0 requests and streams work and close", "[hostile][http]") {
  ServerProcess server({{"SSE_LIMITS_STATUS_INTERVAL", "100ms"}});
  auto health = raw_exchange(server.port(), "GET /health HTTP/1.0\r\n\r\n");
  CHECK(health.statuses() == std::vector<int>{200});
  CHECK(health.closed);  // no keep-alive unless asked for
  CHECK(health.bytes.find(R"({"status":"ok"})") != std::string::npos);

  const std::string body = R"({"roomId":"general","message":"old client"})";
  auto post =
      raw_exchange(server.port(), "POST /chat/send HTTP/1.0\r\nAuthorization: Bearer " + kAlice +
                                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\n\r\n" + body);
  CHECK(post.statuses() == std::vector<int>{202});
  CHECK(post.closed);

  {
    Socket socket(server.port());
    REQUIRE(socket.send_all("GET /system/status/stream HTTP/1.0\r\n\r\n"));
    std::string bytes;
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline && bytes.find("event: status") == std::string::npos) {
      bytes += socket.receive(50ms);
    }
    CHECK(bytes.find(" 200 ") != std::string::npos);
    CHECK(bytes.find("Transfer-Encoding") == std::string::npos);  // no chunks for 1.0
    CHECK(bytes.find("event: status") != std::string::npos);
  }
  // Versions other than HTTP/1.0 and 1.1: another major version is a 505
  // (RFC 9110 15.6.6), something that is not a version at all a 400; either
  // answered as HTTP/1.1, and the request is not run.
  for (const auto& [line, status, code] : std::vector<std::tuple<std::string, int, std::string>>{
           {"GET /health HTTP/2.0", 505, "http_version_not_supported"},
           {"GET /health HTTP/9.9", 505, "http_version_not_supported"},
           {"GET /health HTTX/1.1", 400, "bad_request"},
           {"GET /health", 400, "bad_request"}}) {
    INFO(line);
    auto reply = raw_exchange(server.port(), line + "\r\nHost: x\r\n\r\n");
    expect_refused(reply, status, code);
    CHECK(reply.bytes.rfind("HTTP/1.1 ", 0) == 0);
    CHECK(reply.bytes.find(R"({"status":"ok"})") == std::string::npos);
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

  // Each is answered once and closed. The parser is strict (RFC 9112): a
  // byte that cannot start a method (a TLS hello) is refused at once, and so
  // is a header line without a colon or starting with whitespace; a few
  // empty lines before a request line are ignored (2.2), more are a 400;
  // bare LF line ends are accepted (2.2).
  const std::vector<std::pair<std::string, std::vector<int>>> garbage = {
      {std::string(40, 'M') + " /health HTTP/1.1\r\n\r\n", {400}},  // a method too long
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + std::string(64, '\x00'), {400}},  // TLS
      {std::string("GET\0/health HTTP/1.1\r\n\r\n", 25), {400}},
      {"GET /health HTTP/1.1\r\nNo-Colon-Here\r\nConnection: close\r\n\r\n", {400}},
      {"GET /health HTTP/1.1\r\n : empty name\r\nConnection: close\r\n\r\n", {400}},
      {"\r\n\r\n\r\n\r\n\r\n\r\n", {400}},
      {std::string(100000, '\n'), {400}},
      {"GET /health HTTP/1.1\nHost: x\nConnection: close\n\n", {200}},  // bare LF line ends
  };
  std::vector<std::future<RawReply>> replies;  // at once: a wrong answer may wait out a deadline
  for (const auto& [bytes, statuses] : garbage) {
    replies.push_back(std::async(std::launch::async, [&server, bytes = bytes] {
      return raw_exchange(server.port(), bytes);
    }));
  }
  for (size_t i = 0; i < garbage.size(); ++i) {
    const RawReply reply = replies[i].get();
    INFO(i << ": " << reply.bytes.substr(0, 200));
    CHECK(reply.closed);
    CHECK(reply.statuses() == garbage[i].second);
    if (garbage[i].second == std::vector<int>{400}) {
      CHECK(reply.bytes.find(R"({"error":{"code":"bad_request")") != std::string::npos);
    }
  }
  expect_still_serving(server.port());
}
