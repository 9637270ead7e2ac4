// End-to-end, hostile bodies: over the size limit (declared, chunked, lied
// about), malformed and deeply nested JSON, invalid UTF-8, huge numbers and
// duplicate keys. Each is refused with the right status, publishes nothing,
// and the server keeps serving.

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "sse/util/json.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");

std::string post_head(const std::string& target, const std::string& extra_headers) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAlice +
         "\r\nContent-Type: application/json\r\n" + extra_headers + "\r\n";
}

// A realtime stream that watches for events nobody should have published.
struct Watcher {
  explicit Watcher(int port) : stream(port, "/chat/stream?room=general&token=" + kAlice) {
    REQUIRE(stream.status() == 200);
    REQUIRE(stream.wait_for_events(1));  // alice's own user-joined
  }
  // No event beyond user-joined arrived.
  void expect_nothing_published() {
    CHECK_FALSE(stream.wait_for_events(2, 300ms));
    for (const auto& e : stream.real_events()) CHECK(e.type == "user-joined");
  }
  SseClient stream;
};

// Publishing as fast as a test likes: these tests are about the body.
const ServerProcess::Env kNoRateLimit = {{"SSE_LIMITS_PUBLISH_RATE", "100000"},
                                         {"SSE_LIMITS_PUBLISH_BURST", "100000"}};

const std::string kValidChat = R"({"roomId":"general","message":"hello"})";

}  // namespace

TEST_CASE("bodies over the limit: declared, chunked, and huge declared lengths",
          "[hostile][body]") {
  ServerProcess server({{"SSE_LIMITS_MAX_BODY_BYTES", "1024"}});
  Watcher watcher(server.port());

  // Declared too big: refused before a byte of the body is read.
  const auto started = Clock::now();
  auto declared =
      raw_exchange(server.port(), post_head("/chat/send", "Content-Length: 1000000000000\r\n"), 5s);
  CHECK(Clock::now() - started < 3s);
  REQUIRE(!declared.statuses().empty());
  CHECK(declared.statuses()[0] == 413);
  CHECK(declared.bytes.find("payload_too_large") != std::string::npos);
  CHECK(declared.closed);

  // Exactly at the limit is fine (in a room the watcher is not in); one byte
  // over is not.
  std::string at_limit = R"({"roomId":"elsewhere","message":")";
  at_limit += std::string(1024 - at_limit.size() - 2, 'x') + "\"}";
  REQUIRE(at_limit.size() == 1024);
  CHECK(post_json(server.port(), "/chat/send", kAlice, at_limit).status == 202);
  std::string over = at_limit;
  over.insert(over.size() - 2, "x");
  expect_error(post_json(server.port(), "/chat/send", kAlice, over), 413, "payload_too_large");

  // Chunked with no length, in many small chunks that add up past the limit.
  std::string chunks;
  for (int i = 0; i < 200; ++i) chunks += "a\r\n" + std::string(10, ' ') + "\r\n";
  chunks += "0\r\n\r\n";
  auto chunked = raw_exchange(
      server.port(), post_head("/chat/send", "Transfer-Encoding: chunked\r\n") + chunks, 5s);
  REQUIRE(!chunked.statuses().empty());
  CHECK(chunked.statuses()[0] == 413);
  // One chunk that claims to be enormous, then sends more than the limit.
  auto huge_chunk = raw_exchange(server.port(),
                                 post_head("/chat/send", "Transfer-Encoding: chunked\r\n") +
                                     "fffffff\r\n" + std::string(2000, ' '),
                                 5s);
  REQUIRE(!huge_chunk.statuses().empty());
  CHECK(huge_chunk.statuses()[0] == 413);
  // A chunk size that does not even fit in 64 bits.
  auto overflow = raw_exchange(server.port(),
                               post_head("/chat/send", "Transfer-Encoding: chunked\r\n") +
                                   "fffffffffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
                               5s);
  REQUIRE(!overflow.statuses().empty());
  CHECK(overflow.statuses()[0] >= 400);
  CHECK(overflow.statuses()[0] < 500);

  // A Content-Length that is not a number, or overflows: Poco fails the
  // request before any handler runs; the connection must end without a
  // success (a 4xx when Poco answers at all).
  for (const std::string length : {"abc", "-5", "99999999999999999999999", "1, 2"}) {
    INFO("Content-Length: " << length);
    auto bad = raw_exchange(
        server.port(), post_head("/chat/send", "Content-Length: " + length + "\r\n") + kValidChat,
        5s);
    CHECK(bad.closed);
    for (int status : bad.statuses()) {
      CHECK(status >= 400);
      CHECK(status < 500);
    }
  }
  watcher.expect_nothing_published();
  expect_still_serving(server.port());
}

TEST_CASE("a Content-Length that lies is never taken for a whole body", "[hostile][body]") {
  ServerProcess server({{"SSE_SERVER_REQUEST_TIMEOUT", "1s"}});
  Watcher watcher(server.port());

  // Shorter than sent: the server reads exactly what was declared, which is
  // not JSON (400). The bytes after it are the next request on the connection
  // (RFC 9112 6.3); here they are junk, answered or dropped, never a success.
  const std::string tail = R"("general","message":"hello"})";
  auto shorter = raw_exchange(
      server.port(), post_head("/chat/send", "Content-Length: 10\r\n") + kValidChat + tail, 3s);
  REQUIRE(!shorter.statuses().empty());
  CHECK(shorter.statuses()[0] == 400);
  CHECK(shorter.bytes.find("not valid JSON") != std::string::npos);
  for (int status : shorter.statuses()) CHECK(status >= 400);

  // Longer than sent, and the client waits: the body times out, and the
  // complete-looking JSON that did arrive is not published.
  const auto started = Clock::now();
  auto longer = raw_exchange(server.port(),
                             post_head("/chat/send", "Content-Length: 100\r\n") + kValidChat, 8s);
  CHECK(Clock::now() - started < 4s);
  CHECK(longer.closed);
  CHECK(longer.statuses() == std::vector<int>{408});
  CHECK(longer.bytes.find("request_timeout") != std::string::npos);

  // Longer than sent, and the client half-closes: a body cut short.
  {
    Socket socket(server.port());
    REQUIRE(socket.send_all(post_head("/chat/send", "Content-Length: 100\r\n") + kValidChat));
    ::shutdown(socket.fd(), SHUT_WR);
    std::string reply;
    const auto deadline = Clock::now() + 5s;
    while (!socket.closed() && Clock::now() < deadline) reply += socket.receive(50ms);
    CHECK(reply.rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(reply.find("the body ended after 38 of the 100 bytes") != std::string::npos);
  }
  // No length at all: the body is empty (RFC 9112 6.3), not "until close".
  {
    Socket socket(server.port());
    const auto asked = Clock::now();
    REQUIRE(socket.send_all(post_head("/chat/send", "") + kValidChat));
    std::string reply;
    while (reply.find("\r\n\r\n") == std::string::npos && Clock::now() - asked < 3s) {
      reply += socket.receive(50ms);
    }
    CHECK(Clock::now() - asked < 500ms);
    CHECK(reply.rfind("HTTP/1.1 400 ", 0) == 0);
  }
  // Both Content-Length and chunked (RFC 9112 6.1): chunked wins, and the
  // connection closes after the answer so nothing can be smuggled behind.
  const std::string smuggled =
      "GET /admin/connections?token=" + kDemoToken + " HTTP/1.1\r\nHost: x\r\n\r\n";
  auto both =
      raw_exchange(server.port(),
                   post_head("/chat/send", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") +
                       "0\r\n\r\n" + smuggled,
                   5s);
  CHECK(both.closed);
  CHECK(both.statuses().size() == 1);
  CHECK(both.bytes.find("\"connections\"") == std::string::npos);
  watcher.expect_nothing_published();
  expect_still_serving(server.port());
}

TEST_CASE("malformed JSON is a 400 that names the problem", "[hostile][json]") {
  ServerProcess server(kNoRateLimit);
  Watcher watcher(server.port());
  const std::vector<std::string> bodies = {
      "",
      "{",
      "}",
      "nul",
      "null",
      "\"just a string\"",
      "{'roomId':'general','message':'m'}",
      R"({"roomId":"general","message":"m",})",
      R"({"roomId":"general","message":"m"} trailing)",
      R"({"roomId":"general","message":"m"}{"roomId":"general","message":"m"})",
      R"({"roomId":"general" "message":"m"})",
      R"({"roomId":general,"message":"m"})",
      R"({"roomId":"general","message":"unterminated})",
      R"({"roomId":"general","message":"bad escape \q"})",
      R"({"roomId":"general","message":"short escape \u12"})",
      std::string(R"({"roomId":"general","message":"m")") + '\0' + "}",
      "\xEF\xBB\xBF" + kValidChat,  // a BOM is not JSON
      R"({"roomId":"general","message":"m","n":01})",
      R"({"roomId":"general","message":"m","n":NaN})",
      R"({"roomId":"general","message":"m","n":Infinity})",
  };
  for (const auto& body : bodies) {
    INFO("body: " << body);
    auto r = post_json(server.port(), "/chat/send", kAlice, body);
    expect_error(r, 400, "bad_request");
  }
  watcher.expect_nothing_published();
  expect_still_serving(server.port());
}

TEST_CASE("JSON nested 10,000 deep is refused without harm", "[hostile][json]") {
  ServerProcess server({{"SSE_LIMITS_MAX_BODY_BYTES", "200000"},
                        {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "100000"}});
  Watcher watcher(server.port());
  const int kDepth = 10000;
  const std::string arrays = std::string(kDepth, '[') + std::string(kDepth, ']');
  std::string objects;
  for (int i = 0; i < kDepth; ++i) objects += R"({"a":)";
  objects += "1" + std::string(kDepth, '}');
  const std::string unclosed(kDepth, '[');
  for (const auto& nested : {arrays, objects, unclosed}) {
    // As a field of an otherwise valid body, as the body, and inside `data`.
    for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
             {"/chat/send", R"({"roomId":"general","message":"m","x":)" + nested + "}"},
             {"/chat/send", nested},
             {"/realtime/update",
              R"({"entityType":"t","entityId":"1","action":"update","data":)" + nested + "}"}}) {
      auto r = post_json(server.port(), target, kAlice, body);
      expect_error(r, 400, "bad_request");
    }
  }
  // A moderately nested `data` is still passed on as sent.
  std::string ten = std::string(10, '[') + "1" + std::string(10, ']');
  SseClient realtime(server.port(), "/realtime/stream?token=" + kAlice);
  REQUIRE(post_json(server.port(), "/realtime/update", kAlice,
                    R"({"entityType":"t","entityId":"1","action":"update","data":)" + ten + "}")
              .status == 202);
  REQUIRE(realtime.wait_for_events(1));
  CHECK(realtime.events()[0].data.find("\"data\":" + ten + ",") != std::string::npos);
  watcher.expect_nothing_published();
  expect_still_serving(server.port());
}

TEST_CASE("invalid UTF-8 in any string field is a 400", "[hostile][json]") {
  ServerProcess server(kNoRateLimit);
  Watcher watcher(server.port());
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(status.status() == 200);
  const std::vector<std::string> bad_utf8 = {
      "\xFF",              // never valid
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong, 3 bytes
      "\xED\xA0\x80",      // a UTF-16 surrogate
      "\xF4\x90\x80\x80",  // past U+10FFFF
      "\xE2\x82",          // truncated
      "ok\x80",            // a lone continuation byte
  };
  struct Case {
    std::string target;
    std::string token;
    std::string body;  // "@" marks where the bad bytes go
  };
  const std::vector<Case> cases = {
      {"/notifications/send", kAlice, R"({"title":"@","message":"m"})"},
      {"/notifications/send", kAlice, R"({"title":"t","message":"@"})"},
      {"/notifications/send", kAlice, R"({"title":"t","message":"m","type":"@"})"},
      {"/notifications/send", kAlice, R"({"title":"t","message":"m","userId":"alice@"})"},
      {"/realtime/update", kAlice, R"({"entityType":"@","entityId":"1","action":"update"})"},
      {"/realtime/update", kAlice, R"({"entityType":"t","entityId":"@","action":"update"})"},
      {"/realtime/update", kAlice, R"({"entityType":"t","entityId":"1","action":"@"})"},
      {"/realtime/update", kAlice,
       R"({"entityType":"t","entityId":"1","action":"update","data":{"s":"@"}})"},
      {"/realtime/update", kAlice,
       R"({"entityType":"t","entityId":"1","action":"update","data":{"@":1}})"},
      {"/realtime/update", kAlice,
       R"({"entityType":"t","entityId":"1","action":"update","data":[[["@"]]]})"},
      {"/chat/send", kAlice, R"({"roomId":"general@","message":"m"})"},
      {"/chat/send", kAlice, R"({"roomId":"general","message":"@"})"},
      {"/chat/send", kAlice, R"({"roomId":"general","message":"m","@":"extra key"})"},
      {"/chat/typing", kAlice, R"({"roomId":"@"})"},
      {"/system/maintenance", kDemoToken, R"({"message":"@"})"},
      {"/system/maintenance", kDemoToken, R"({"message":"m","startsAt":"@"})"},
  };
  for (const auto& c : cases) {
    for (const auto& bytes : bad_utf8) {
      std::string body = c.body;
      body.replace(body.find('@'), 1, bytes);
      INFO(c.target << " " << c.body);
      expect_error(post_json(server.port(), c.target, c.token, body), 400, "bad_request");
    }
  }
  // JSON escapes that decode to something that is not a character: a lone
  // surrogate, reversed surrogates. Refused, or sent on as valid UTF-8.
  SseClient chat(server.port(), "/chat/stream?room=general&token=" + user_token("carol"));
  REQUIRE(chat.wait_for_events(1));
  for (const std::string escape : {R"(\ud800)", R"(\udc00)", R"(\udc00\ud800)", R"(x\ud83dy)"}) {
    auto r = post_json(server.port(), "/chat/send", kAlice,
                       R"({"roomId":"general","message":")" + escape + "\"}");
    INFO(escape << " -> " << r.status << " " << r.body);
    CHECK((r.status == 202 || r.status == 400));
  }
  chat.wait_for_events(5, 500ms);
  CHECK(sse::is_valid_utf8(chat.stream_bytes()));
  CHECK(sse::is_valid_utf8(watcher.stream.stream_bytes()));
  // Nothing reached the status stream either (maintenance was refused).
  status.wait_for_events(1, 200ms);
  for (const auto& e : status.real_events()) CHECK(e.type != "maintenance");
  expect_still_serving(server.port());
}

TEST_CASE("huge and odd numbers are refused or passed on as valid JSON", "[hostile][json]") {
  ServerProcess server(kNoRateLimit);
  SseClient realtime(server.port(), "/realtime/stream?token=" + kAlice);
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(realtime.status() == 200);
  REQUIRE(status.status() == 200);
  // entityId must be a string or an integer: refused when it is not one.
  for (const std::string id :
       {"1e400", "-1e400", "1.5", "123456789012345678901234567890", "true", "[1]", "{}"}) {
    INFO("entityId " << id);
    auto r = post_json(server.port(), "/realtime/update", kAlice,
                       R"({"entityType":"t","entityId":)" + id + R"(,"action":"update"})");
    expect_error(r, 400, "bad_request");
  }
  // durationSeconds must be a non-negative integer.
  for (const std::string seconds : {"-1", "1e400", "99999999999999999999999", "0.5", "\"600\""}) {
    INFO("durationSeconds " << seconds);
    auto r = post_json(server.port(), "/system/maintenance", kDemoToken,
                       R"({"message":"m","durationSeconds":)" + seconds + "}");
    expect_error(r, 400, "bad_request");
  }
  // Numbers inside `data` either fail the request or reach the stream as
  // JSON a client can parse (never "inf" or "nan").
  int accepted = 0;
  for (const std::string n : {"1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-0",
                              "9223372036854775808", "-9223372036854775809"}) {
    auto r =
        post_json(server.port(), "/realtime/update", kAlice,
                  R"({"entityType":"t","entityId":"n","action":"update","data":{"n":)" + n + "}}");
    INFO("data.n " << n << " -> " << r.status << " " << r.body);
    CHECK((r.status == 202 || r.status == 400));
    accepted += r.status == 202;
  }
  realtime.wait_for_events(accepted, 2s);
  REQUIRE(realtime.real_events().size() == static_cast<size_t>(accepted));
  for (const auto& e : realtime.real_events()) {
    INFO(e.data);
    CHECK_NOTHROW(json_string(e.data, "entityId"));
    CHECK(e.data.find("inf") == std::string::npos);
    CHECK(e.data.find("nan") == std::string::npos);
  }
  status.wait_for_events(1, 200ms);
  for (const auto& e : status.real_events()) CHECK(e.type != "maintenance");
  expect_still_serving(server.port());
}

TEST_CASE("duplicate keys cannot split a check from its use", "[hostile][json]") {
  ServerProcess server(kNoRateLimit);
  SseClient ops(server.port(), "/chat/stream?room=ops&token=" + kDemoToken);
  SseClient bob(server.port(), "/notifications/stream?token=" + user_token("bob"));
  SseClient general(server.port(), "/chat/stream?room=general&token=" + user_token("gina"));
  REQUIRE(ops.wait_for_events(1));  // the admin's own user-joined
  REQUIRE(bob.status() == 200);
  REQUIRE(general.wait_for_events(1));

  // The private room, before or after a public one: never reaches ops.
  for (const std::string body : {R"({"roomId":"general","roomId":"ops","message":"sneak"})",
                                 R"({"roomId":"ops","roomId":"general","message":"sneak"})"}) {
    auto r = post_json(server.port(), "/chat/send", kAlice, body);
    INFO(body << " -> " << r.status);
    CHECK((r.status == 202 || r.status == 403 || r.status == 400));
  }
  // Another user's id, before or after one's own: never reaches bob.
  for (const std::string body :
       {R"({"title":"t","message":"sneak","userId":"alice","userId":"bob"})",
        R"({"title":"t","message":"sneak","userId":"bob","userId":"alice"})"}) {
    auto r = post_json(server.port(), "/notifications/send", kAlice, body);
    INFO(body << " -> " << r.status);
    CHECK((r.status == 202 || r.status == 403 || r.status == 400));
  }
  // A plain user's system notification, hidden behind a harmless type.
  for (const std::string body :
       {R"({"title":"t","message":"sneak","type":"info","type":"system"})",
        R"({"title":"t","message":"sneak","type":"system","type":"info"})"}) {
    auto r = post_json(server.port(), "/notifications/send", kAlice, body);
    CHECK((r.status == 202 || r.status == 403 || r.status == 400));
  }
  CHECK_FALSE(ops.wait_for_events(2, 300ms));
  CHECK_FALSE(bob.wait_for_events(1, 300ms));
  // Whatever was accepted went to one room, with one value per key.
  general.wait_for_events(3, 300ms);
  for (const auto& e : general.real_events()) {
    if (e.type != "message") continue;
    CHECK(json_string(e.data, "roomId") == "general");
    CHECK(e.data.find("\"roomId\"", e.data.find("\"roomId\"") + 1) == std::string::npos);
  }
  // Duplicate keys inside `data` reach the stream once.
  SseClient realtime(server.port(), "/realtime/stream?token=" + kAlice);
  REQUIRE(post_json(server.port(), "/realtime/update", kAlice,
                    R"({"entityType":"t","entityId":"1","action":"update","data":{"k":1,"k":2}})")
              .status == 202);
  REQUIRE(realtime.wait_for_events(1));
  const std::string& data = realtime.events()[0].data;
  INFO(data);
  CHECK(data.find("\"k\"") != std::string::npos);
  CHECK(data.find("\"k\"", data.find("\"k\"") + 1) == std::string::npos);
  expect_still_serving(server.port());
}
