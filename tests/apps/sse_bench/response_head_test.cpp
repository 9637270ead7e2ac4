#include "sse-bench/response_head.hpp"

#include <catch2/catch.hpp>

using sse::bench::find_head_end;
using sse::bench::parse_response_head;

TEST_CASE("sse-bench response head: the end is found after CRLF CRLF or LF LF", "[sse-bench]") {
  CHECK(find_head_end("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody") == 25u);
  CHECK(find_head_end("HTTP/1.1 200 OK\nA: b\n\nbody") == 22u);
  CHECK_FALSE(find_head_end("HTTP/1.1 200 OK\r\nA: b\r\n"));
  CHECK_FALSE(find_head_end("HTTP/1.1 200 OK\r\nA: b\r\n\r"));
  CHECK_FALSE(find_head_end(""));
}

TEST_CASE("sse-bench response head: an SSE stream of sse-server", "[sse-bench]") {
  auto head = parse_response_head(
      "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache\r\n\r\n");
  REQUIRE(head.ok());
  CHECK(head->status == 200);
  CHECK_FALSE(head->chunked);
  CHECK_FALSE(head->content_length);
  CHECK(head->close);
}

TEST_CASE("sse-bench response head: chunked wins over Content-Length", "[sse-bench]") {
  auto head = parse_response_head(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\nContent-Length: 5\r\n\r\n");
  REQUIRE(head.ok());
  CHECK(head->chunked);
  CHECK_FALSE(head->content_length);
  CHECK_FALSE(head->close);
  auto not_last =
      parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  REQUIRE(not_last.ok());
  CHECK_FALSE(not_last->chunked);
}

TEST_CASE("sse-bench response head: a publish answer with a length and keep-alive rules",
          "[sse-bench]") {
  auto head = parse_response_head("HTTP/1.1 202 Accepted\r\nContent-Length:  23 \r\n\r\n");
  REQUIRE(head.ok());
  CHECK(head->status == 202);
  CHECK(head->content_length == 23u);
  CHECK_FALSE(head->close);
  auto http10 = parse_response_head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(http10.ok());
  CHECK(http10->close);
  auto kept = parse_response_head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n");
  REQUIRE(kept.ok());
  CHECK_FALSE(kept->close);
  auto no_reason = parse_response_head("HTTP/1.1 429\r\nRetry-After: 5\r\n\r\n");
  REQUIRE(no_reason.ok());
  CHECK(no_reason->status == 429);
}

TEST_CASE("sse-bench response head: what is not HTTP is an error", "[sse-bench]") {
  CHECK_FALSE(parse_response_head("SSH-2.0-OpenSSH\r\n\r\n").ok());
  CHECK_FALSE(parse_response_head("HTTP/1.1 2x0 OK\r\n\r\n").ok());
  CHECK_FALSE(parse_response_head("HTTP/1.1 2000 OK\r\n\r\n").ok());
  CHECK_FALSE(parse_response_head("HTTP/2 200\r\n\r\n").ok());
  auto bad_length = parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n");
  REQUIRE_FALSE(bad_length.ok());
  CHECK_THAT(bad_length.message(), Catch::Contains("'1, 2'"));
}
