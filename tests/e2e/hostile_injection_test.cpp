// End-to-end, SSE injection: CR, LF, NUL, U+2028 and "\r\n\r\nevent: x\ndata: y"
// in every string that reaches an SSE stream — the POST fields, the nested
// strings of `data`, and the user id and name inside demo tokens and JWTs.
// A client's parser must see exactly one event carrying the exact text,
// JSON-escaped on one data line; never an extra event, field, id or retry.
// Strings that are validated (enums, room names) are refused with a 400.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "sse/auth/demo_token.hpp"
#include "sse/util/json.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "hostile-injection-test-secret-of-some-length";

// The attacks. Each is sent JSON-escaped in two ways (see json_forms).
const std::vector<std::string> kEvil = {
    "cr\rcr",
    "lf\nlf",
    std::string("nul\0nul", 7),
    "ls\xE2\x80\xA8ls",  // U+2028 LINE SEPARATOR, raw UTF-8
    "\r\n\r\nevent: x\ndata: y",
    "x\n\nid: 999\nretry: 1\nevent: x\ndata: y\n\n:comment\r\rdata: z",
};

// "\u00XX" for a control byte.
std::string u_escape(unsigned char c) {
  static const char kHex[] = "0123456789abcdef";
  return std::string("\\u00") + kHex[c >> 4] + kHex[c & 15];
}

// JSON string literals for `text`: the server's own escaping, and every
// control character and U+2028 as a \uXXXX escape.
std::vector<std::string> json_forms(const std::string& text) {
  std::string all = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20) {
      all += u_escape(c);
    } else if (text.compare(i, 3, "\xE2\x80\xA8") == 0) {
      all += "\\u2028";
      i += 2;
    } else if (c == '"' || c == '\\') {
      all += '\\';
      all += static_cast<char>(c);
    } else {
      all += static_cast<char>(c);
    }
  }
  return {sse::json_quote(text), all + "\""};
}

Poco::JSON::Object::Ptr parse(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::string jwt_for(const std::string& sub, const std::string& name,
                    const std::string& roles = R"(["user"])") {
  return hmac_jwt(R"({"alg":"HS256","typ":"JWT"})",
                  R"({"sub":)" + sse::json_quote(sub) + R"(,"name":)" + sse::json_quote(name) +
                      R"(,"roles":)" + roles + R"(,"exp":)" +
                      std::to_string(epoch_seconds() + 600) + "}",
                  kSecret);
}

// Reads until the `marker` event has arrived on `stream` after exactly
// `count` others, then checks that nothing in it came from an injected line:
// no event "x", no data "y"/"z", no retry change, and every id is one the
// server gave (or none).
void expect_clean(SseClient& stream, size_t count, const std::string& marker) {
  const auto at = stream.wait_for_id(marker);
  REQUIRE(at.has_value());
  CHECK(events_before(stream, *at).size() == count);
  for (const auto& e : stream.events()) {
    INFO(e.type << " " << e.data);
    CHECK(e.type != "x");
    CHECK(e.data != "y");
    CHECK(e.data.find('\n') == std::string::npos);  // one data line per event
    CHECK(e.last_event_id != "999");
    CHECK_NOTHROW(parse(e.data));
  }
  CHECK(stream.retry_ms() == std::optional<uint32_t>(3000));
  CHECK(stream.stream_bytes().find("\nevent: x") == std::string::npos);
  CHECK(stream.stream_bytes().find("\ndata: y") == std::string::npos);
}

}  // namespace

TEST_CASE("injection in every published string field arrives as one escaped event",
          "[hostile][injection]") {
  ServerProcess server({{"SSE_AUTH_JWT_SECRET", kSecret},
                        {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "100000"},
                        {"SSE_LIMITS_STATUS_INTERVAL", "1h"}});
  const std::string alice = user_token("alice");
  SseClient notes(server.port(), "/notifications/stream?token=" + alice);
  SseClient realtime(server.port(), "/realtime/stream?token=" + alice);
  SseClient chat(server.port(), "/chat/stream?room=general&token=" + user_token("watcher"));
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(notes.status() == 200);
  REQUIRE(realtime.status() == 200);
  REQUIRE(chat.wait_for_events(1));  // the watcher's own user-joined
  REQUIRE(status.status() == 200);
  size_t n_notes = 0, n_realtime = 0, n_chat = 1, n_status = 0;

  for (const auto& evil : kEvil) {
    for (const auto& literal : json_forms(evil)) {
      INFO("literal " << literal);
      // Notifications: title and message.
      REQUIRE(post_json(server.port(), "/notifications/send", alice,
                        R"({"title":)" + literal + R"(,"message":)" + literal + "}")
                  .status == 202);
      REQUIRE(notes.wait_for_events(++n_notes));
      auto note = parse(notes.events().back().data);
      CHECK(notes.events().back().type == "notification");
      CHECK(note->getValue<std::string>("title") == evil);
      CHECK(note->getValue<std::string>("message") == evil);

      // Realtime: entityId, and strings at any depth of data (values and keys).
      auto r = post_json(server.port(), "/realtime/update", alice,
                         R"({"entityType":"doc","entityId":)" + literal +
                             R"(,"action":"update","data":{"s":)" + literal + R"(,"a":[[)" +
                             literal + R"(]],"o":{)" + literal + ":" + literal + "}}}");
      REQUIRE(r.status == 202);
      REQUIRE(realtime.wait_for_events(++n_realtime));
      auto update = parse(realtime.events().back().data);
      CHECK(update->getValue<std::string>("entityId") == evil);
      auto data = update->getObject("data");
      CHECK(data->getValue<std::string>("s") == evil);
      CHECK(data->getArray("a")->getArray(0)->getElement<std::string>(0) == evil);
      // Poco 1.11's parser cuts an object key at an escaped NUL: the key
      // arrives shortened, still as one escaped string.
      const std::string key = evil.substr(0, evil.find('\0'));
      CHECK(data->getObject("o")->getValue<std::string>(key) == evil);

      // Chat: message.
      REQUIRE(post_json(server.port(), "/chat/send", alice,
                        R"({"roomId":"general","message":)" + literal + "}")
                  .status == 202);
      REQUIRE(chat.wait_for_events(++n_chat));
      CHECK(chat.events().back().type == "message");
      CHECK(parse(chat.events().back().data)->getValue<std::string>("message") == evil);

      // Maintenance: message, on the status stream.
      REQUIRE(post_json(server.port(), "/system/maintenance", kDemoToken,
                        R"({"message":)" + literal + "}")
                  .status == 202);
      REQUIRE(status.wait_for_events(++n_status));
      CHECK(status.events().back().type == "maintenance");
      CHECK(parse(status.events().back().data)->getValue<std::string>("message") == evil);
    }
  }
  expect_clean(notes, n_notes, mark_notification(server.port(), "alice"));
  expect_clean(realtime, n_realtime, mark_realtime(server.port()));
  expect_clean(chat, n_chat, mark_chat(server.port(), "general"));
  expect_clean(status, n_status, mark_status(server.port()));
  expect_still_serving(server.port());
}

TEST_CASE("injection in the user id and name of a token arrives escaped", "[hostile][injection]") {
  ServerProcess server({{"SSE_AUTH_JWT_SECRET", kSecret},
                        {"SSE_LIMITS_PUBLISH_RATE", "100000"},
                        {"SSE_LIMITS_PUBLISH_BURST", "100000"}});
  SseClient watcher(server.port(), "/chat/stream?room=general&token=" + user_token("watcher"));
  REQUIRE(watcher.wait_for_events(1));
  size_t n_watcher = 1;

  for (const auto& evil : kEvil) {
    INFO("evil " << sse::json_quote(evil));
    const std::string sub = "sub" + evil;
    const std::string name = "name" + evil;
    const std::string token = jwt_for(sub, name);
    // Joining announces the user to the room, id and name escaped.
    SseClient chat(server.port(), "/chat/stream?room=general&token=" + token);
    REQUIRE(chat.status() == 200);
    REQUIRE(watcher.wait_for_events(++n_watcher));
    auto joined = parse(watcher.events().back().data);
    CHECK(watcher.events().back().type == "user-joined");
    CHECK(joined->getValue<std::string>("userId") == sub);
    CHECK(joined->getValue<std::string>("username") == name);
    // Their message and their typing carry them too.
    REQUIRE(post_json(server.port(), "/chat/send", token, R"({"roomId":"general","message":"hi"})")
                .status == 202);
    REQUIRE(post_json(server.port(), "/chat/typing", token, R"({"roomId":"general"})").status ==
            202);
    n_watcher += 2;
    REQUIRE(watcher.wait_for_events(n_watcher));
    for (size_t i = n_watcher - 2; i < n_watcher; ++i) {
      auto said = parse(watcher.events()[i].data);
      CHECK(said->getValue<std::string>("userId") == sub);
      CHECK(said->getValue<std::string>("username") == name);
    }
    // Notifications to themselves, and from an admin by userId.
    SseClient notes(server.port(), "/notifications/stream?token=" + token);
    REQUIRE(notes.status() == 200);
    REQUIRE(post_json(server.port(), "/notifications/send", token, R"({"title":"t","message":"m"})")
                .status == 202);
    REQUIRE(post_json(server.port(), "/notifications/send", kDemoToken,
                      R"({"title":"t","message":"m","userId":)" + sse::json_quote(sub) + "}")
                .status == 202);
    REQUIRE(notes.wait_for_events(2));
    for (const auto& e : notes.events()) {
      CHECK(parse(e.data)->getValue<std::string>("userId") == sub);
    }
    expect_clean(notes, 2, mark_notification(server.port(), sub));
    // The admin view lists them as valid JSON.
    auto listed = http(server.port(), "GET", "/admin/connections?token=" + kDemoToken);
    REQUIRE(listed.status == 200);
    bool found = false;
    auto connections = parse(listed.body)->getArray("connections");
    for (size_t i = 0; i < connections->size(); ++i) {
      found = found || connections->getObject(i)->getValue<std::string>("userId") == sub;
    }
    CHECK(found);
    chat.close();
    REQUIRE(watcher.wait_for_events(++n_watcher));  // user-left
    CHECK(parse(watcher.events().back().data)->getValue<std::string>("userId") == sub);
  }
  expect_clean(watcher, n_watcher, mark_chat(server.port(), "general"));
  ++n_watcher;  // the marker

  // Demo tokens refuse control characters outright; U+2028 is a character.
  for (const auto& evil : kEvil) {
    sse::Identity who;
    who.user_id = "demo";
    who.username = "demo" + evil;
    who.email = "d@example.com";
    who.roles = {"user"};
    const std::string demo = sse::encode_demo_token(who);
    SseClient stream(server.port(), "/chat/stream?room=general&token=" + demo);
    const bool has_control = evil.find_first_of(std::string("\r\n\0", 3)) != std::string::npos;
    INFO(sse::json_quote(evil));
    if (has_control) {
      CHECK(stream.status() == 401);
      CHECK(stream.body().find("control character") != std::string::npos);
      continue;
    }
    REQUIRE(stream.status() == 200);
    REQUIRE(watcher.wait_for_events(++n_watcher));
    CHECK(parse(watcher.events().back().data)->getValue<std::string>("username") == who.username);
    stream.close();
    REQUIRE(watcher.wait_for_events(++n_watcher));
  }
  expect_clean(watcher, n_watcher, mark_chat(server.port(), "general"));
  expect_still_serving(server.port());
}

TEST_CASE("injection in validated fields and query parameters is a 400", "[hostile][injection]") {
  ServerProcess server(
      {{"SSE_LIMITS_PUBLISH_RATE", "100000"}, {"SSE_LIMITS_PUBLISH_BURST", "100000"}});
  const std::string alice = user_token("alice");
  SseClient notes(server.port(), "/notifications/stream?token=" + alice);
  SseClient realtime(server.port(), "/realtime/stream?token=" + alice);
  SseClient status(server.port(), "/system/status/stream");
  REQUIRE(notes.status() == 200);
  REQUIRE(realtime.status() == 200);
  for (const auto& evil : kEvil) {
    for (const auto& literal : json_forms(evil)) {
      INFO("literal " << literal);
      auto bad = [&](const std::string& target, const std::string& token, const std::string& body,
                     const std::string& field) {
        auto r = post_json(server.port(), target, token, body);
        expect_error(r, 400, "bad_request");
        CHECK(r.body.find(field) != std::string::npos);
      };
      bad("/notifications/send", alice, R"({"title":"t","message":"m","type":)" + literal + "}",
          "'type'");
      bad("/realtime/update", alice,
          R"({"entityType":)" + literal + R"(,"entityId":"1","action":"update"})", "'entityType'");
      bad("/realtime/update", alice,
          R"({"entityType":"doc","entityId":"1","action":)" + literal + "}", "'action'");
      bad("/chat/send", alice, R"({"roomId":)" + literal + R"(,"message":"m"})", "'roomId'");
      bad("/chat/typing", alice, R"({"roomId":)" + literal + "}", "'roomId'");
      bad("/system/maintenance", kDemoToken, R"({"message":"m","startsAt":)" + literal + "}",
          "'startsAt'");
    }
    // Query parameters, percent-encoded.
    std::string encoded;
    for (unsigned char c : "general" + evil) {
      static const char kHex[] = "0123456789ABCDEF";
      encoded += {'%', kHex[c >> 4], kHex[c & 15]};
    }
    SseClient room(server.port(), "/chat/stream?token=" + alice + "&room=" + encoded);
    CHECK(room.status() == 400);
    CHECK(room.body().find("room") != std::string::npos);
    SseClient type(server.port(), "/realtime/stream?token=" + alice + "&entityType=" + encoded);
    CHECK(type.status() == 400);
    CHECK(type.body().find("entityType") != std::string::npos);
    SseClient last(server.port(), "/realtime/stream?token=" + alice + "&lastEventId=1" + encoded);
    CHECK(last.status() == 400);
  }
  expect_clean(notes, 0, mark_notification(server.port(), "alice"));
  expect_clean(realtime, 0, mark_realtime(server.port()));
  const auto in_status = status.wait_for_id(mark_status(server.port()));
  REQUIRE(in_status.has_value());
  for (const auto& e : events_before(status, *in_status)) CHECK(e.type != "maintenance");
  expect_still_serving(server.port());
}
