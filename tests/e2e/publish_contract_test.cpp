// End-to-end: publishing rules that close loopholes in the API contract.

#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

using namespace e2e;

TEST_CASE("an empty userId is refused, never taken as a broadcast", "[server][publish]") {
  ServerProcess server;
  const std::string admin = user_token("root", "admin");
  for (const std::string& token : {admin, user_token("alice")}) {
    auto answer = post_json(server.port(), "/notifications/send", token,
                            R"({"title":"t","message":"m","userId":""})");
    INFO(answer.body);
    CHECK(answer.status == 400);
    CHECK(answer.body.find("field 'userId' must not be empty") != std::string::npos);
  }
  // A broadcast is type "system", which needs the admin role.
  auto system = post_json(server.port(), "/notifications/send", admin,
                          R"({"title":"t","message":"m","type":"system"})");
  CHECK(system.status == 202);
}

TEST_CASE("the JSON media type is matched case-insensitively and exactly",
          "[server][publish]") {
  ServerProcess server;
  const std::string body = R"({"roomId":"general","message":"hi"})";
  auto with_type = [&](const std::string& type) {
    return http(server.port(), "POST", "/chat/send", body,
                {{"Authorization", "Bearer " + kDemoToken}, {"Content-Type", type}})
        .status;
  };
  CHECK(with_type("application/json") == 202);
  CHECK(with_type("Application/JSON; charset=utf-8") == 202);
  CHECK(with_type("application/json ;charset=UTF-8") == 202);
  CHECK(with_type("application/jsonp") == 415);
  CHECK(with_type("application/json-seq") == 415);
  CHECK(with_type("text/json") == 415);
}

TEST_CASE("a query string that is not valid percent-encoding is a 400", "[server][errors]") {
  ServerProcess server;
  // Dropping the whole query would open an all-rooms stream instead of room ops.
  auto stream = http(server.port(), "GET", "/chat/stream?room=ops&x=%zz", "",
                     {{"Authorization", "Bearer " + kDemoToken}});
  CHECK(stream.status == 400);
  CHECK(stream.body.find("not valid percent-encoding") != std::string::npos);
  auto admin = http(server.port(), "GET", "/admin/connections?user=%G1", "",
                    {{"Authorization", "Bearer " + user_token("root", "admin")}});
  CHECK(admin.status == 400);
}

TEST_CASE("status lines carry the reason phrase of their code", "[server][errors]") {
  ServerProcess server;
  auto reason_of = [&](const std::string& request) {
    Socket socket(server.port());
    (void)socket.send_all(request);
    std::string bytes;
    for (int i = 0; i < 200 && bytes.find("\r\n") == std::string::npos && !socket.closed(); ++i) {
      bytes += socket.receive(std::chrono::milliseconds(50));
    }
    return bytes.substr(0, bytes.find("\r\n"));
  };
  CHECK(reason_of("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") ==
        "HTTP/1.1 404 Not Found");
  CHECK(reason_of("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") ==
        "HTTP/1.1 200 OK");
  const std::string body = R"({"roomId":"general","message":"hi"})";
  CHECK(reason_of("POST /chat/send HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: "
                  "Bearer " +
                  kDemoToken + "\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body) == "HTTP/1.1 202 Accepted");
}
