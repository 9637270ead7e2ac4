// End-to-end, hostile bodies: over the size limit (declared, chunked, lied
// about), malformed and deeply nested JSON, invalid UTF-8, huge numbers and
// duplicate keys. Each is refused with the right status, publishes nothing,
// and the server keeps serving.

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "sse/util/json.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kAlice = user_token("alice");

std::string post_head(const std::string& target, const std::string& extra_headers) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kAlice +
         "\r\nContent-Type: application/json\r\n" + extra_headers + "\r\n";
}

// A chat stream that watches for events nobody should have published.
struct Watcher {
  explicit Watcher(int port)
      : port(port), stream(port, "/chat/stream?room=general&token=" + kAlice) {
    REQUIRE(stream.status() == 200);
    REQUIRE(stream.wait_for_events(1));  // alice's own user-joined
  }
  // Before a marker published now, only alice's user-joined arrived.
  void expect_nothing_published() {
    const auto at = stream.wait_for_id(mark_chat(port, "general"));
    REQUIRE(at.has_value());
    CHECK(types_before(stream, *at) == std::vector<std::string>{"user-joined"});
  }
  int port;
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

  // Declared too big: refused before a byte of the body is read (none is
  // sent: a server that waited for it would answer 408, not 413).
  auto declared = raw_exchange(server.port(),
                               post_head("/chat/send", "Content-Length: 1000000000000\r\n"), 10s);
  CHECK(declared.statuses() == std::vector<int>{413});
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
      server.port(), post_head("/chat/send", "Transfer-Encoding: chunked\r\n") + chunks, 10s);
  CHECK(chunked.statuses() == std::vector<int>{413});
  CHECK(chunked.closed);
  // One chunk that claims to be enormous, then sends more than the limit.
  auto huge_chunk = raw_exchange(server.port(),
                                 post_head("/chat/send", "Transfer-Encoding: chunked\r\n") +
                                     "fffffff\r\n" + std::string(2000, ' '),
                                 10s);
  CHECK(huge_chunk.statuses() == std::vector<int>{413});
  CHECK(huge_chunk.closed);
  // A chunk size that does not even fit in 64 bits is over the limit at its
  // third digit, long before it overflows: 413, and the connection closes, so
  // the bytes after the size line are never read as a request of their own.
  auto overflow = raw_exchange(server.port(),
                               post_head("/chat/send", "Transfer-Encoding: chunked\r\n") +
                                   "fffffffffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
                               10s);
  CHECK(overflow.statuses() == std::vector<int>{413});
  CHECK(overflow.closed);

  // A Content-Length that is not a non-negative number: 400, then close (RFC
  // 9112 6.3: the framing is unknown, so nothing after it can be trusted).
  for (const auto& [length, message] : std::vector<std::pair<std::string, std::string>>{
           {"abc", "Content-Length is not a number of at most 19 decimal digits"},
           {"99999999999999999999999",
            "Content-Length is not a number of at most 19 decimal digits"},
           {"1, 2", "Content-Length is not a number of at most 19 decimal digits"},
           {"-5", "Content-Length is not a number of at most 19 decimal digits"}}) {
    INFO("Content-Length: " << length);
    auto bad = raw_exchange(
        server.port(), post_head("/chat/send", "Content-Length: " + length + "\r\n") + kValidChat,
        10s);
    INFO(bad.bytes);
    CHECK(bad.closed);
    CHECK(bad.statuses() == std::vector<int>{400});
    CHECK(bad.bytes.find(message) != std::string::npos);
  }
  watcher.expect_nothing_published();
  expect_still_serving(server.port());
}

TEST_CASE("a Content-Length that lies is never taken for a whole body", "[hostile][body]") {
  ServerProcess server({{"SSE_SERVER_REQUEST_TIMEOUT", "1s"}, {"SSE_SERVER_BODY_TIMEOUT", "1s"}});
  Watcher watcher(server.port());

  // Shorter than sent: the server reads exactly what was declared, which is
  // not JSON (400). The bytes after it are the next request on the connection
  // (RFC 9112 6.3); here they start with '"', which no method may hold: a
  // second 400, for the request line, and the connection closes.
  const std::string tail = R"("general","message":"hello"})";
  auto shorter = raw_exchange(
      server.port(), post_head("/chat/send", "Content-Length: 10\r\n") + kValidChat + tail, 10s);
  CHECK(shorter.statuses() == std::vector<int>{400, 400});
  CHECK(shorter.bytes.find("not valid JSON") != std::string::npos);
  const auto answers = split_responses(shorter.bytes);
  REQUIRE(answers.size() == 2);
  CHECK(answers[1].body.rfind(R"({"error":{"code":"bad_request")", 0) == 0);
  CHECK(shorter.closed);

  // Longer than sent, and the client waits: the body times out (1 s after
  // the head), and the complete-looking JSON that did arrive is not published.
  auto longer = raw_exchange(server.port(),
                             post_head("/chat/send", "Content-Length: 100\r\n") + kValidChat, 10s);
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
  // No length at all: the body is empty (RFC 9112 6.3), not "until close":
  // the answer says so while the client keeps the connection open (a server
  // reading until close would answer 408 at the body deadline instead).
  {
    Socket socket(server.port());
    REQUIRE(socket.send_all(post_head("/chat/send", "") + kValidChat));
    std::string reply;
    const auto deadline = Clock::now() + 10s;
    while (reply.find("}}") == std::string::npos && !socket.closed() && Clock::now() < deadline) {
      reply += socket.receive(50ms);
    }
    CHECK(reply.rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(reply.find("the body is empty: send it with a Content-Length or chunked") !=
          std::string::npos);
  }
  // Both Content-Length and chunked (RFC 9112 6.1, 6.3): the framing is in
  // doubt, so the request is refused (400) and the connection closes after
  // the answer, so nothing can be smuggled behind.
  const std::string smuggled =
      "GET /admin/connections?token=" + kDemoToken + " HTTP/1.1\r\nHost: x\r\n\r\n";
  auto both =
      raw_exchange(server.port(),
                   post_head("/chat/send", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") +
                       "0\r\n\r\n" + smuggled,
                   10s);
  CHECK(both.closed);
  CHECK(both.statuses() == std::vector<int>{400});
  CHECK(both.bytes.find(R"({"error":{"code":"bad_request")") != std::string::npos);
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
  // surrogate, reversed surrogates. Refused like invalid UTF-8 (a surrogate
  // pair that makes a character is fine).
  SseClient chat(server.port(), "/chat/stream?room=general&token=" + user_token("carol"));
  REQUIRE(chat.wait_for_events(1));
  for (const std::string escape : {R"(\ud800)", R"(\udc00)", R"(\udc00\ud800)", R"(x\ud83dy)"}) {
    INFO(escape);
    expect_error(post_json(server.port(), "/chat/send", kAlice,
                           R"({"roomId":"general","message":")" + escape + "\"}"),
                 400, "bad_request");
  }
  REQUIRE(post_json(server.port(), "/chat/send", kAlice,
                    R"({"roomId":"elsewhere","message":"\ud83d\ude00"})")
              .status == 202);
  // Before a marker, both general streams saw only who joined (alice, carol).
  const std::string marker = mark_chat(server.port(), "general");
  for (SseClient* stream : {&chat, &watcher.stream}) {
    const auto at = stream->wait_for_id(marker);
    REQUIRE(at.has_value());
    for (const auto& e : events_before(*stream, *at)) CHECK(e.type == "user-joined");
    CHECK(sse::is_valid_utf8(stream->stream_bytes()));
  }
  // Nothing reached the status stream either (maintenance was refused).
  const auto status_marked = status.wait_for_id(mark_status(server.port()));
  REQUIRE(status_marked.has_value());
  for (const auto& e : events_before(status, *status_marked)) CHECK(e.type != "maintenance");
  expect_still_serving(server.port());
}

TEST_CASE("numbers a 64-bit integer or a double cannot hold are refused, never changed",
          "[hostile][json]") {
  ServerProcess server(kNoRateLimit);
  SseClient realtime(server.port(), "/realtime/stream?token=" + kAlice);
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(realtime.status() == 200);
  REQUIRE(status.status() == 200);
  // entityId must be a string or an integer: refused when it is not one.
  for (const std::string id : {"1e400", "-1e400", "1.5", "123456789012345678901234567890",
                               "18446744073709551616", "true", "[1]", "{}"}) {
    INFO("entityId " << id);
    auto r = post_json(server.port(), "/realtime/update", kAlice,
                       R"({"entityType":"t","entityId":)" + id + R"(,"action":"update"})");
    expect_error(r, 400, "bad_request");
  }
  // durationSeconds must be a non-negative integer.
  for (const std::string seconds :
       {"-1", "1e400", "99999999999999999999999", "18446744073709551616", "0.5", "\"600\""}) {
    INFO("durationSeconds " << seconds);
    auto r = post_json(server.port(), "/system/maintenance", kDemoToken,
                       R"({"message":"m","durationSeconds":)" + seconds + "}");
    expect_error(r, 400, "bad_request");
  }
  // Numbers inside `data`: an integer in [-2^63, 2^64-1] or a finite double
  // reaches the stream as it was written; anything else is a 400 (readers
  // disagree on it: Poco 1.11 reads 2^64 as 0 and -2^63-1 as -2^63).
  struct Number {
    std::string sent;
    std::string published;  // "" when refused
  };
  const std::vector<Number> numbers = {
      {"1e400", ""},
      {"-1e400", ""},
      {"123456789012345678901234567890", ""},
      {"18446744073709551616", ""},
      {"-9223372036854775809", ""},
      {"18446744073709551615", "18446744073709551615"},
      {"9223372036854775808", "9223372036854775808"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"1e-400", "1e-400"},
      {"-0", "-0"},
      {"1.5e308", "1.5e308"},
      {"2.50E+3", "2.50E+3"},
  };
  std::vector<std::string> published;
  for (const auto& n : numbers) {
    auto r = post_json(
        server.port(), "/realtime/update", kAlice,
        R"({"entityType":"t","entityId":"n","action":"update","data":{"n":)" + n.sent + "}}");
    INFO("data.n " << n.sent << " -> " << r.status << " " << r.body);
    if (n.published.empty()) {
      expect_error(r, 400, "bad_request");
    } else {
      CHECK(r.status == 202);
      published.push_back(R"("data":{"n":)" + n.published + "}");
    }
  }
  const auto marked = realtime.wait_for_id(mark_realtime(server.port()));
  REQUIRE(marked.has_value());
  const auto events = events_before(realtime, *marked);
  REQUIRE(events.size() == published.size());
  for (size_t i = 0; i < events.size(); ++i) {
    INFO(events[i].data);
    CHECK(events[i].data.find(published[i]) != std::string::npos);
    CHECK_NOTHROW(json_string(events[i].data, "entityId"));
  }
  const auto status_marked = status.wait_for_id(mark_status(server.port()));
  REQUIRE(status_marked.has_value());
  for (const auto& e : events_before(status, *status_marked)) CHECK(e.type != "maintenance");
  expect_still_serving(server.port());
}

TEST_CASE("duplicate keys are refused, so a check and its use never read different values",
          "[hostile][json]") {
  ServerProcess server(kNoRateLimit);
  SseClient ops(server.port(), "/chat/stream?room=ops&token=" + kDemoToken);
  SseClient bob(server.port(), "/notifications/stream?token=" + user_token("bob"));
  SseClient general(server.port(), "/chat/stream?room=general&token=" + user_token("gina"));
  REQUIRE(ops.wait_for_events(1));  // the admin's own user-joined
  REQUIRE(bob.status() == 200);
  REQUIRE(general.wait_for_events(1));

  // RFC 7493 2.3 (I-JSON): no duplicate names. One copy checked and the other
  // used would let a private room, another user or a system notification
  // through; at any depth, in any endpoint, the body is a 400 naming the key.
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"/chat/send", R"({"roomId":"general","roomId":"ops","message":"sneak"})"},
      {"/chat/send", R"({"roomId":"ops","roomId":"general","message":"sneak"})"},
      {"/notifications/send", R"({"title":"t","message":"sneak","userId":"alice","userId":"bob"})"},
      {"/notifications/send", R"({"title":"t","message":"sneak","userId":"bob","userId":"alice"})"},
      {"/notifications/send", R"({"title":"t","message":"sneak","type":"info","type":"system"})"},
      {"/notifications/send", R"({"title":"t","message":"sneak","type":"system","type":"info"})"},
      {"/realtime/update",
       R"({"entityType":"t","entityId":"1","action":"update","data":{"k":1,"k":2}})"},
      {"/realtime/update",
       R"({"entityType":"t","entityId":"1","action":"update","data":[{"a":{"k":1,"k":1}}]})"},
  };
  for (const auto& [target, body] : bodies) {
    auto r = post_json(server.port(), target, kAlice, body);
    INFO(body << " -> " << r.status << " " << r.body);
    expect_error(r, 400, "bad_request");
    CHECK(r.body.find("twice in one object") != std::string::npos);
  }
  // The same key in different objects is no duplicate.
  SseClient realtime(server.port(), "/realtime/stream?token=" + kAlice);
  REQUIRE(post_json(server.port(), "/realtime/update", kAlice,
                    R"({"entityType":"t","entityId":"1","action":"update",)"
                    R"("data":{"a":{"k":1},"b":{"k":2}}})")
              .status == 202);
  REQUIRE(realtime.wait_for_events(1));
  CHECK(realtime.events()[0].data.find(R"("data":{"a":{"k":1},"b":{"k":2}})") != std::string::npos);

  // Nothing reached ops, bob or general before their markers.
  const auto in_ops = ops.wait_for_id(mark_chat(server.port(), "ops"));
  REQUIRE(in_ops.has_value());
  CHECK(types_before(ops, *in_ops) == std::vector<std::string>{"user-joined"});
  const auto to_bob = bob.wait_for_id(mark_notification(server.port(), "bob"));
  REQUIRE(to_bob.has_value());
  CHECK(events_before(bob, *to_bob).empty());
  const auto in_general = general.wait_for_id(mark_chat(server.port(), "general"));
  REQUIRE(in_general.has_value());
  CHECK(types_before(general, *in_general) == std::vector<std::string>{"user-joined"});
  expect_still_serving(server.port());
}
