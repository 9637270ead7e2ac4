#include "sse/client/url.hpp"

#include <catch2/catch.hpp>

TEST_CASE("parse_url takes host, port and prefix", "[client][url]") {
  auto url = sse::parse_url("http://example.org:4000/api/");
  REQUIRE(url.ok());
  CHECK(url->host == "example.org");
  CHECK(url->port == 4000);
  CHECK(url->path_prefix == "/api");
  CHECK(url->to_string() == "http://example.org:4000/api");
}

TEST_CASE("parse_url defaults the port and accepts IPv6 literals", "[client][url]") {
  auto plain = sse::parse_url("http://localhost");
  REQUIRE(plain.ok());
  CHECK(plain->port == 80);
  CHECK(plain->path_prefix.empty());
  auto v6 = sse::parse_url("http://[::1]:3000");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 3000);
  CHECK(v6->to_string() == "http://[::1]:3000");
}

TEST_CASE("parse_url refuses what it cannot use, naming the problem", "[client][url]") {
  CHECK(sse::parse_url("localhost:3000").message().find("no scheme") != std::string::npos);
  CHECK(sse::parse_url("https://x").message().find("https is not supported") != std::string::npos);
  CHECK(sse::parse_url("ftp://x").message().find("unsupported scheme") != std::string::npos);
  CHECK(sse::parse_url("http://x:0").message().find("port '0'") != std::string::npos);
  CHECK(sse::parse_url("http://x:99999").message().find("port") != std::string::npos);
  CHECK(sse::parse_url("http://x:").message().find("empty port") != std::string::npos);
  CHECK(sse::parse_url("http://:80").message().find("no host") != std::string::npos);
  CHECK(sse::parse_url("http://x/?a=b").message().find("query") != std::string::npos);
  CHECK(sse::parse_url("http://u:p@x").message().find("credentials") != std::string::npos);
}

TEST_CASE("url_encode keeps unreserved characters only", "[client][url]") {
  CHECK(sse::url_encode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(sse::url_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
}
