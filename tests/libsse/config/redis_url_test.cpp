#include "sse/config/redis_url.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using Catch::Matchers::Contains;

namespace {

sse::RedisEndpoint parsed(std::string_view url) {
  auto result = sse::parse_redis_url(url);
  INFO(url << ": " << (result.ok() ? std::string() : result.message()));
  REQUIRE(result.ok());
  return *result;
}

sse::RedisEndpoint endpoint(std::string host, int port = 6379, std::string username = "",
                            std::string password = "", int db = 0) {
  return {std::move(host), port, std::move(username), std::move(password), db};
}

}  // namespace

TEST_CASE("parse_redis_url reads a host with and without a port and a db", "[config]") {
  CHECK(parsed("redis://127.0.0.1:6379") == endpoint("127.0.0.1"));
  CHECK(parsed("redis://cache") == endpoint("cache"));
  CHECK(parsed("redis://cache:6380") == endpoint("cache", 6380));
  CHECK(parsed("redis://Cache-1.internal_net.example:1") ==
        endpoint("Cache-1.internal_net.example", 1));
  CHECK(parsed("redis://cache:65535/3") == endpoint("cache", 65535, "", "", 3));
  CHECK(parsed("redis://cache/15") == endpoint("cache", 6379, "", "", 15));
  CHECK(parsed("redis://cache/") == endpoint("cache"));
  CHECK(parsed("redis://cache/0") == endpoint("cache"));
  CHECK(parsed("redis://cache/1000000").db == 1000000);
  CHECK(parsed("redis://cache:007").port == 7);
}

TEST_CASE("parse_redis_url reads IPv6 literals in brackets", "[config]") {
  CHECK(parsed("redis://[::1]:6380") == endpoint("::1", 6380));
  CHECK(parsed("redis://[::1]") == endpoint("::1"));
  CHECK(parsed("redis://[2001:db8::7]/2") == endpoint("2001:db8::7", 6379, "", "", 2));
  CHECK(parsed("redis://[::ffff:10.0.0.1]:7000") == endpoint("::ffff:10.0.0.1", 7000));
  CHECK(parsed("redis://:pw@[::1]:6380/1") == endpoint("::1", 6380, "", "pw", 1));
}

TEST_CASE("parse_redis_url reads a username and a password", "[config]") {
  CHECK(parsed("redis://app:s3cret@cache:6380/2") == endpoint("cache", 6380, "app", "s3cret", 2));
  CHECK(parsed("redis://:s3cret@cache") == endpoint("cache", 6379, "", "s3cret"));
  // A user without a password (it may come from redis.password_file).
  CHECK(parsed("redis://app@cache") == endpoint("cache", 6379, "app"));
  CHECK(parsed("redis://app:@cache") == endpoint("cache", 6379, "app"));
  // Both empty is the same as none.
  CHECK(parsed("redis://:@cache") == endpoint("cache"));
  CHECK(parsed("redis://@cache") == endpoint("cache"));
}

TEST_CASE("parse_redis_url decodes percent escapes in the username and password", "[config]") {
  CHECK(parsed("redis://:p%40ss@cache").password == "p@ss");
  CHECK(parsed("redis://:100%25@cache").password == "100%");
  CHECK(parsed("redis://:%2f%2F%3a@cache").password == "//:");
  CHECK(parsed("redis://us%65r:x@cache").username == "user");
  // The user information runs to the last '@': what a password holds stays in it.
  CHECK(parsed("redis://:p@ss@cache") == endpoint("cache", 6379, "", "p@ss"));
  CHECK(parsed("redis://:a/b?c#d@cache:1/2") == endpoint("cache", 1, "", "a/b?c#d", 2));
  CHECK(parsed("redis://u:a:b@cache") == endpoint("cache", 6379, "u", "a:b"));
  // Escapes are decoded only in the user information.
  CHECK_FALSE(sse::parse_redis_url("redis://ca%41che").ok());
}

TEST_CASE("parse_redis_url errors say what is wrong and quote the URL", "[config]") {
  struct Case {
    std::string url;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"http://cache:6379", "must start with \"redis://\""},
      {"rediss://cache", "must start with \"redis://\""},
      {"REDIS://cache", "must start with \"redis://\""},
      {"", "must start with \"redis://\""},
      {"redis://", "empty host"},
      {"redis://:6379", "empty host"},
      {"redis:///3", "empty host"},
      {"redis://[]:6379", "empty host in '[]'"},
      {"redis://cache:", "port \"\" is not a number"},
      {"redis://cache:abc", "port \"abc\" is not a number"},
      {"redis://cache:+80", "port \"+80\" is not a number"},
      {"redis://cache:-1", "port \"-1\" is not a number"},
      {"redis://cache:0", "port must be between 1 and 65535, got 0"},
      {"redis://cache:65536", "port must be between 1 and 65535, got 65536"},
      {"redis://cache:99999999999999999999999", "between 1 and 65535, got 99999999999999999999999"},
      {"redis://[::1]:0", "port must be between 1 and 65535"},
      {"redis://cache/abc", "db \"abc\" is not a non-negative integer"},
      {"redis://cache/-1", "db \"-1\" is not a non-negative integer"},
      {"redis://cache/1/2", "db \"1/2\" is not a non-negative integer"},
      {"redis://cache/1000001", "db must be at most 1000000, got 1000001"},
      {"redis://cache/99999999999999999999999", "db must be at most 1000000"},
      {"redis://cache?db=1", "a query or fragment"},
      {"redis://cache:6379/0?timeout=1", "a query or fragment"},
      {"redis://cache#top", "a query or fragment"},
      {"redis://[::1:6379", "unbalanced brackets"},
      {"redis://::1]:6379", "unbalanced brackets"},
      {"redis://ca[che", "unbalanced brackets"},
      {"redis://[::1]6379", "expected ':port' after ']'"},
      {"redis://[cache]:6379", "\"cache\" in brackets is not an IPv6 address"},
      {"redis://::1", "an IPv6 address must be in brackets"},
      {"redis://ca che", "invalid character in host \"ca che\""},
      {"redis://cache%41", "invalid character in host"},
      {"redis://u%zz:x@cache", "bad %-escape in the username"},
      {"redis://:p%4@cache", "bad %-escape in the password"},
      {"redis://:p%@cache", "bad %-escape in the password"},
      {"redis://:p%g0@cache", "bad %-escape in the password"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    auto result = sse::parse_redis_url(c.url);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().is_invalid_argument());
    INFO("message: " << result.message());
    CHECK_THAT(result.message(), Contains(c.problem));
    CHECK_THAT(result.message(),
               Contains("invalid Redis URL \"" + sse::redacted_redis_url(c.url) + "\": "));
  }
}

TEST_CASE("parse_redis_url errors never hold the password", "[config]") {
  for (std::string url : {
           "redis://:hunter2@cache:0",
           "redis://app:hunter2@cache:65536",
           "redis://app:hunter2@:6379",
           "redis://app:hunter2@cache/x",
           "redis://app:hunter2@cache?x",
           "redis://:hunter2@[::1",
           "redis://:hunter2%zz@cache",
           "redis://app:hunter2@ca che",
           "http://app:hunter2@cache",
           "redis://:hunter2@p@ss@::1",
       }) {
    INFO(url);
    auto result = sse::parse_redis_url(url);
    REQUIRE_FALSE(result.ok());
    INFO("message: " << result.message());
    CHECK_THAT(result.message(), !Contains("hunter2"));
    CHECK_THAT(result.message(), Contains("***"));
  }
}

TEST_CASE("redacted_redis_url replaces the password with three stars", "[config]") {
  CHECK(sse::redacted_redis_url("redis://app:s3cret@cache:6380/2") ==
        "redis://app:***@cache:6380/2");
  CHECK(sse::redacted_redis_url("redis://:s3cret@cache") == "redis://:***@cache");
  CHECK(sse::redacted_redis_url("redis://:p@ss@cache") == "redis://:***@cache");
  CHECK(sse::redacted_redis_url("redis://:p%40ss@[::1]:6380") == "redis://:***@[::1]:6380");
  // Nothing to hide.
  CHECK(sse::redacted_redis_url("redis://app@cache") == "redis://app@cache");
  CHECK(sse::redacted_redis_url("redis://cache:6379/1") == "redis://cache:6379/1");
  CHECK(sse::redacted_redis_url("redis://:@cache") == "redis://:@cache");
  CHECK(sse::redacted_redis_url("") == "");
  // Other schemes and text without one are redacted the same way.
  CHECK(sse::redacted_redis_url("http://u:s3cret@host") == "http://u:***@host");
  CHECK(sse::redacted_redis_url("u:s3cret@host") == "u:***@host");
  // The redacted URL still parses, with "***" for the password.
  CHECK(parsed(sse::redacted_redis_url("redis://app:s3cret@cache")) ==
        endpoint("cache", 6379, "app", "***"));
}
