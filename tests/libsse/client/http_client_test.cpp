#include "sse/client/http_client.hpp"

#include <Poco/Net/ServerSocket.h>

#include <catch2/catch.hpp>

TEST_CASE("decode_error_body reads the server's error object", "[client][http]") {
  auto [code, message] =
      sse::decode_error_body(R"({"error":{"code":"forbidden","message":"admin only"}})");
  CHECK(code == "forbidden");
  CHECK(message == "admin only");
  CHECK(sse::decode_error_body("<html>").first.empty());
  CHECK(sse::decode_error_body(R"({"id":"1"})").second.empty());
}

TEST_CASE("http_error_from keeps the status, message and Retry-After", "[client][http]") {
  sse::HttpResponse response;
  response.status = 429;
  response.reason = "Too Many Requests";
  response.headers["retry-after"] = "7";
  response.body = R"({"error":{"code":"rate_limited","message":"slow down"}})";
  auto error = sse::http_error_from(response);
  CHECK(error.kind == sse::ClientErrorKind::kHttp);
  CHECK(error.status == 429);
  CHECK(error.code == "rate_limited");
  CHECK(error.message == "slow down");
  CHECK(error.retry_after_s == 7);

  response.body = "oops";
  response.headers.clear();
  auto plain = sse::http_error_from(response);
  CHECK(plain.message == "HTTP 429 Too Many Requests");
  CHECK(plain.retry_after_s == 0);
}

TEST_CASE("a closed port is reported as unreachable", "[client][http]") {
  int port = 0;
  {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = socket.address().port();
  }
  sse::ClientOptions options;
  options.url = *sse::parse_url("http://127.0.0.1:" + std::to_string(port));
  auto result = sse::HttpClient(options).get("/health");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == sse::ClientErrorKind::kUnreachable);
  CHECK(result.error().message.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("a server that accepts but never answers is a timeout", "[client][http]") {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  sse::ClientOptions options;
  options.url = *sse::parse_url("http://127.0.0.1:" + std::to_string(socket.address().port()));
  options.timeout = std::chrono::milliseconds(200);
  auto result = sse::HttpClient(options).get("/health");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == sse::ClientErrorKind::kTimeout);
}
