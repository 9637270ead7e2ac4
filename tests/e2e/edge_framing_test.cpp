// End-to-end, the HTTP edge's framing (RFC 9112): every way of making the
// length of a request body ambiguous is one 400 and a closed connection, so
// the bytes smuggled behind it never run; bodies over the limit are a 413
// before they are read; malformed heads get 400, 414, 431 or 505; and what a
// client sends never reaches the server's log raw.

#include <signal.h>
#include <sys/socket.h>

#include <cstdio>
#include <future>
#include <tuple>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");

// 36 bytes, published to the watched room if a framing were ever accepted.
const std::string kChat = R"({"roomId":"general","message":"hi!"})";

// A request for the admin's view of every stream: its answer would hold
// "connections". Sent behind a request whose framing is broken.
const std::string kSmuggled =
    "GET /admin/connections?token=" + kDemoToken + " HTTP/1.1\r\nHost: x\r\n\r\n";

std::string post_head(const std::string& framing, const std::string& version = "HTTP/1.1") {
  return "POST /chat/send " + version + "\r\nHost: x\r\nAuthorization: Bearer " + kAlice +
         "\r\nContent-Type: application/json\r\n" + framing + "\r\n";
}

std::string hex(size_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%zx", n);
  return text;
}

// `body` as one chunk and the last chunk.
std::string chunked(const std::string& body) {
  return hex(body.size()) + "\r\n" + body + "\r\n0\r\n\r\n";
}

std::string get(const std::string& target, const std::string& headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n";
}

// A chat stream on the room every framed request would publish to.
struct Watcher {
  explicit Watcher(int port)
      : port(port), stream(port, "/chat/stream?room=general&token=" + user_token("watcher")) {
    REQUIRE(stream.status() == 200);
    REQUIRE(stream.wait_for_events(1, kPatience));  // the watcher's own user-joined
  }
  // Before a marker published now, only the watcher's user-joined arrived.
  void expect_nothing_published() {
    const auto at = stream.wait_for_id(mark_chat(port, "general"), kPatience);
    REQUIRE(at.has_value());
    CHECK(types_before(stream, *at) == std::vector<std::string>{"user-joined"});
  }
  int port;
  SseClient stream;
};

// Sends each request on a connection of its own, all at once (a server that
// got one wrong would make its exchange wait out kPatience), and returns the
// replies in order.
std::vector<RawReply> exchange_all(int port, const std::vector<std::string>& requests) {
  std::vector<std::future<RawReply>> pending;
  for (const auto& request : requests) {
    pending.push_back(std::async(
        std::launch::async, [port, request] { return raw_exchange(port, request, kPatience); }));
  }
  std::vector<RawReply> replies;
  for (auto& p : pending) replies.push_back(p.get());
  return replies;
}

// Sends `bytes`, half-closes (shutdown SHUT_WR), and reads until the close.
RawReply half_closed_exchange(int port, const std::string& bytes) {
  Socket socket(port);
  REQUIRE(socket.send_all(bytes));
  ::shutdown(socket.fd(), SHUT_WR);
  return read_until_closed(socket, kPatience);
}

}  // namespace

TEST_CASE("ambiguous body framing is a 400 that closes and what is smuggled behind never runs",
          "[edge][framing]") {
  ServerProcess server;
  Watcher watcher(server.port());
  REQUIRE(kChat.size() == 36);
  const std::string length = "Content-Length: 36\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"two equal Content-Length", post_head(length + length) + kChat},
      {"two differing Content-Length", post_head(length + "Content-Length: 37\r\n") + kChat + " "},
      {"Content-Length and chunked",
       post_head(length + "Transfer-Encoding: chunked\r\n") + chunked(kChat)},
      {"chunked and Content-Length",
       post_head("Transfer-Encoding: chunked\r\n" + length) + chunked(kChat)},
      {"Transfer-Encoding gzip", post_head("Transfer-Encoding: gzip\r\n") + kChat},
      {"Transfer-Encoding gzip, chunked",
       post_head("Transfer-Encoding: gzip, chunked\r\n") + chunked(kChat)},
      {"chunked in HTTP/1.0",
       post_head("Transfer-Encoding: chunked\r\n", "HTTP/1.0") + chunked(kChat)},
      {"Content-Length +36", post_head("Content-Length: +36\r\n") + kChat},
      {"Content-Length 36abc", post_head("Content-Length: 36abc\r\n") + kChat},
      {"Content-Length 0x24", post_head("Content-Length: 0x24\r\n") + kChat},
      {"a 30-digit Content-Length",
       post_head("Content-Length: 123456789012345678901234567890\r\n") + kChat},
      {"chunk size zz",
       post_head("Transfer-Encoding: chunked\r\n") + "zz\r\n" + kChat + "\r\n0\r\n\r\n"},
      {"chunk data longer than its size", post_head("Transfer-Encoding: chunked\r\n") +
                                              hex(kChat.size() - 10) + "\r\n" + kChat +
                                              "\r\n0\r\n\r\n"},
      {"no CRLF after chunk data", post_head("Transfer-Encoding: chunked\r\n") + hex(kChat.size()) +
                                       "\r\n" + kChat + "0\r\n\r\n"},
  };
  std::vector<std::string> requests;
  for (const auto& c : cases) requests.push_back(c.second + kSmuggled);
  const auto replies = exchange_all(server.port(), requests);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].first);
    expect_refusal(replies[i], 400, "bad_request");
    CHECK(replies[i].bytes.find("\"connections\"") == std::string::npos);
  }
  watcher.expect_nothing_published();
  expect_still_serving(server.port());
}

TEST_CASE("a body cut short by the client's half-close is a 400", "[edge][framing]") {
  ServerProcess server;
  Watcher watcher(server.port());
  // A chunked body cut off in its first chunk's data.
  expect_refusal(
      half_closed_exchange(server.port(), post_head("Transfer-Encoding: chunked\r\n") +
                                              hex(kChat.size()) + "\r\n" + kChat.substr(0, 20)),
      400, "bad_request");
  // A chunked body whose data is whole but whose last chunk never came.
  expect_refusal(
      half_closed_exchange(server.port(), post_head("Transfer-Encoding: chunked\r\n") +
                                              hex(kChat.size()) + "\r\n" + kChat + "\r\n"),
      400, "bad_request");
  // A Content-Length body shorter than declared.
  expect_refusal(half_closed_exchange(server.port(), post_head("Content-Length: 100\r\n") + kChat),
                 400, "bad_request");
  watcher.expect_nothing_published();
}

TEST_CASE(
    "a body over max_body_bytes is a 413 at once when declared and as it arrives when chunked",
    "[edge][framing][limits]") {
  // The body deadline is far: a server that waited for the body would not
  // answer within kPatience.
  ServerProcess server({{"SSE_LIMITS_MAX_BODY_BYTES", "1024"}, {"SSE_SERVER_BODY_TIMEOUT", "5m"}});
  Watcher watcher(server.port());
  // Declared one byte over, and not one byte of the body sent.
  expect_refusal(raw_exchange(server.port(), post_head("Content-Length: 1025\r\n"), kPatience), 413,
                 "payload_too_large");
  // Chunked, 600 + 600 bytes, and the body still open (no last chunk).
  const std::string chunk = hex(600) + "\r\n" + std::string(600, ' ') + "\r\n";
  expect_refusal(
      raw_exchange(server.port(), post_head("Transfer-Encoding: chunked\r\n") + chunk + chunk,
                   kPatience),
      413, "payload_too_large");
  // Exactly at the limit is a body like any other (in a room nobody watches).
  std::string at_limit = R"({"roomId":"elsewhere","message":")";
  at_limit += std::string(1024 - at_limit.size() - 2, 'x') + "\"}";
  REQUIRE(at_limit.size() == 1024);
  CHECK(post_json(server.port(), "/chat/send", kAlice, at_limit).status == 202);
  watcher.expect_nothing_published();
}

TEST_CASE("a request target over max_url_bytes is a 414", "[edge][head][limits]") {
  ServerProcess server({{"SSE_SERVER_MAX_URL_BYTES", "1024"}});
  const std::string prefix = "/health?x=";
  const std::string at_limit = prefix + std::string(1024 - prefix.size(), 'u');
  REQUIRE(at_limit.size() == 1024);
  auto fits = raw_exchange(server.port(), get(at_limit, "Connection: close\r\n"), kPatience);
  CHECK(fits.statuses() == std::vector<int>{200});
  expect_refusal(raw_exchange(server.port(), get(at_limit + "u"), kPatience), 414, "uri_too_long");
  // Far over: refused without waiting for the end of the line.
  expect_refusal(raw_exchange(server.port(), "GET /" + std::string(100000, 'p'), kPatience), 414,
                 "uri_too_long");
}

TEST_CASE("a head over max_head_bytes or with more than max_header_fields fields is a 431",
          "[edge][head][limits]") {
  ServerProcess server(
      {{"SSE_SERVER_MAX_HEAD_BYTES", "4096"}, {"SSE_SERVER_MAX_HEADER_FIELDS", "20"}});
  const std::string close = "Connection: close\r\n";
  // A head of exactly `size` bytes: every byte through the blank line counts.
  auto head_of = [&](size_t size) {
    const std::string bare = get("/health", close + "X-Pad: \r\n");
    return get("/health", close + "X-Pad: " + std::string(size - bare.size(), 'a') + "\r\n");
  };
  REQUIRE(head_of(4096).size() == 4096);
  CHECK(raw_exchange(server.port(), head_of(4096), kPatience).statuses() == std::vector<int>{200});
  expect_refusal(raw_exchange(server.port(), head_of(4097), kPatience), 431,
                 "request_header_fields_too_large");
  // The total counts, not each field: ten fields of 450 bytes.
  std::string ten;
  for (int i = 0; i < 10; ++i)
    ten += "X-Part-" + std::to_string(i) + ": " + std::string(450, 'b') + "\r\n";
  expect_refusal(raw_exchange(server.port(), get("/health", ten), kPatience), 431,
                 "request_header_fields_too_large");
  // Fields: Host, Connection and 18 more is 20; one more is too many.
  std::string eighteen;
  for (int i = 0; i < 18; ++i) eighteen += "X-Field-" + std::to_string(i) + ": v\r\n";
  CHECK(raw_exchange(server.port(), get("/health", close + eighteen), kPatience).statuses() ==
        std::vector<int>{200});
  expect_refusal(raw_exchange(server.port(), get("/health", close + eighteen + "X-One-More: v\r\n"),
                              kPatience),
                 431, "request_header_fields_too_large");
}

TEST_CASE("malformed request lines and header fields are refused", "[edge][head]") {
  ServerProcess server;
  const std::vector<std::tuple<std::string, std::string, int, std::string>> cases = {
      {"not a request line", "GARBAGE\r\n\r\n", 400, "bad_request"},
      {"no version", "GET /health\r\n\r\n", 400, "bad_request"},
      {"two spaces", "GET  /health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
      {"HTTP/2.0", "GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http_version_not_supported"},
      {"obs-fold", "GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", 400,
       "bad_request"},
      {"space before the colon", "GET /health HTTP/1.1\r\nHost: x\r\nX-Space : a\r\n\r\n", 400,
       "bad_request"},
      {"NUL in a value",
       std::string("GET /health HTTP/1.1\r\nHost: x\r\nX-Nul: a") + '\0' + "b\r\n\r\n", 400,
       "bad_request"},
      {"bare CR in a value", "GET /health HTTP/1.1\r\nHost: x\r\nX-Cr: a\rb\r\n\r\n", 400,
       "bad_request"},
      {"two Host headers", "GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400,
       "bad_request"},
      {"ESC in the target", "GET /health\x1b[2J HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"},
  };
  std::vector<std::string> requests;
  for (const auto& c : cases) requests.push_back(std::get<1>(c));
  const auto replies = exchange_all(server.port(), requests);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(std::get<0>(cases[i]));
    expect_refusal(replies[i], std::get<2>(cases[i]), std::get<3>(cases[i]));
    CHECK(replies[i].bytes.find(R"({"status":"ok"})") == std::string::npos);  // never run
  }
  expect_still_serving(server.port());
}

TEST_CASE("control bytes a client sends never reach the server's log raw", "[edge][head][log]") {
  ServerProcess server({{"SSE_LOG_LEVEL", "debug"}});
  const std::vector<std::string> requests = {
      "GET /health\x1b[31mRED HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /health\rFAKE-CR HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /health\nFAKE-LF HTTP/1.1\r\nHost: x\r\n\r\n",
      // Percent-encoded, so a valid target: whatever it is answered, the log
      // must not hold the bytes it decodes to.
      "GET /nope%1b%0d%0aFAKE-ENCODED HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  };
  const auto replies = exchange_all(server.port(), requests);
  for (size_t i = 0; i < 3; ++i) {
    INFO(i);
    expect_refusal(replies[i], 400, "bad_request");
  }
  REQUIRE(server.stop(SIGTERM, kPatience) == 0);
  const std::string& log = server.child().err();
  INFO(log);
  CHECK(log.find("/nope") != std::string::npos);  // the log did see the percent-encoded one
  CHECK(log.find('\x1b') == std::string::npos);
  CHECK(log.find('\r') == std::string::npos);
  CHECK(log.find("\nFAKE") == std::string::npos);
  CHECK(log.rfind("FAKE", 0) != 0);
}
