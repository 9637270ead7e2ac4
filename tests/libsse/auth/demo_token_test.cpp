#include "sse/auth/demo_token.hpp"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include <Poco/Base64Encoder.h>

using Catch::Matchers::Contains;
using sse::decode_demo_token;
using sse::encode_demo_token;
using sse::Identity;
using sse::validate_demo_identity;

namespace {

constexpr const char* kReferenceToken =
    "dGVzdDEyMzp0ZXN0dXNlcjp0ZXN0QGV4YW1wbGUuY29tOnVzZXIsYWRtaW4=";

// Standard padded base64 of arbitrary text, to build malformed tokens.
std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

std::string decode_error(const std::string& token) {
  auto result = decode_demo_token(token);
  REQUIRE_FALSE(result.ok());
  return result.message();
}

Identity reference_identity() {
  return Identity{"test123", "testuser", "test@example.com", {"user", "admin"}, std::nullopt};
}

}  // namespace

TEST_CASE("demo token: the spec's reference token decodes to its identity", "[auth]") {
  auto identity = decode_demo_token(kReferenceToken);
  REQUIRE(identity.ok());
  CHECK(identity->user_id == "test123");
  CHECK(identity->username == "testuser");
  CHECK(identity->email == "test@example.com");
  CHECK(identity->roles == std::vector<std::string>{"user", "admin"});
  CHECK(identity->is_admin());
  CHECK(identity->has_role("user"));
  CHECK_FALSE(identity->has_role("Admin"));
  CHECK_FALSE(identity->expires_at_ms.has_value());
}

TEST_CASE("demo token: the reference identity encodes to the reference token byte for byte",
          "[auth]") {
  CHECK(encode_demo_token(reference_identity()) == kReferenceToken);
  CHECK(base64("test123:testuser:test@example.com:user,admin") == kReferenceToken);
}

TEST_CASE("demo token: long identities encode on one line and round-trip", "[auth]") {
  Identity identity{std::string(100, 'u'), "Zoë Ünicode", "", {"user"}, std::nullopt};
  REQUIRE(validate_demo_identity(identity).ok());
  const std::string token = encode_demo_token(identity);
  CHECK(token.find('\n') == std::string::npos);
  auto decoded = decode_demo_token(token);
  REQUIRE(decoded.ok());
  CHECK(decoded->user_id == identity.user_id);
  CHECK(decoded->username == identity.username);
  CHECK(decoded->email.empty());
  CHECK(decoded->roles == identity.roles);
}

TEST_CASE("demo token: spaces around roles are ignored", "[auth]") {
  auto identity = decode_demo_token(base64("u1:name:e@x:user , admin"));
  REQUIRE(identity.ok());
  CHECK(identity->roles == std::vector<std::string>{"user", "admin"});
}

TEST_CASE("demo token: input that is not strict base64 is rejected", "[auth]") {
  CHECK_THAT(decode_error(""), Contains("empty"));
  CHECK_THAT(decode_error("not base64!"), Contains("not valid base64"));
  CHECK_THAT(decode_error("dGVzdA"), Contains("not valid base64"));        // missing padding
  CHECK_THAT(decode_error("dGVz dA=="), Contains("not valid base64"));     // space inside
  CHECK_THAT(decode_error("dGVzdA==dGVz"), Contains("not valid base64"));  // padding mid-way
  CHECK_THAT(decode_error("dGVzdA-_"), Contains("not valid base64"));      // base64url alphabet
  CHECK_THAT(decode_error("===="), Contains("not valid base64"));
  CHECK_THAT(decode_error(std::string(kReferenceToken) + "\n"), Contains("not valid base64"));
}

TEST_CASE("demo token: the wrong number of fields is rejected", "[auth]") {
  CHECK_THAT(decode_error(base64("u1:name:user")), Contains("4 ':'-separated fields"));
  CHECK_THAT(decode_error(base64("u1:name:user")), Contains("found 3"));
  CHECK_THAT(decode_error(base64("u1:name:e@x:user:extra")), Contains("found 5"));
  CHECK_THAT(decode_error(base64("just-a-user-id")), Contains("found 1"));
}

TEST_CASE("demo token: an empty user id or no roles is rejected", "[auth]") {
  CHECK_THAT(decode_error(base64(":name:e@x:user")), Contains("empty user id"));
  CHECK_THAT(decode_error(base64("u1:name:e@x:")), Contains("no roles"));
  CHECK_THAT(decode_error(base64("u1:name:e@x:  ")), Contains("no roles"));
  CHECK_THAT(decode_error(base64("u1:name:e@x:user,,admin")), Contains("empty role"));
  CHECK_THAT(decode_error(base64("u1:name:e@x:user,")), Contains("empty role"));
}

TEST_CASE("demo token: control characters and invalid UTF-8 are rejected", "[auth]") {
  CHECK_THAT(decode_error(base64("u1:na\nme:e@x:user")), Contains("control character"));
  CHECK_THAT(decode_error(base64("u1:name:e@x:user\r")), Contains("control character"));
  CHECK_THAT(decode_error(base64(std::string("u1\0:name:e@x:user", 17))),
             Contains("control character"));
  CHECK_THAT(decode_error(base64("u1:name:e@x:user\x7f")), Contains("control character"));
  CHECK_THAT(decode_error(base64("u1:n\xff\xfe:e@x:user")), Contains("UTF-8"));
}

TEST_CASE("demo token: validate_demo_identity accepts what round-trips", "[auth]") {
  CHECK(validate_demo_identity(reference_identity()).ok());
}

TEST_CASE("demo token: validate_demo_identity names what cannot be encoded", "[auth]") {
  auto error_for = [](Identity identity) {
    sse::Status status = validate_demo_identity(identity);
    REQUIRE_FALSE(status.ok());
    return status.message();
  };
  Identity base = reference_identity();

  Identity no_id = base;
  no_id.user_id.clear();
  CHECK_THAT(error_for(no_id), Contains("user id is empty"));

  Identity colon_id = base;
  colon_id.user_id = "a:b";
  CHECK_THAT(error_for(colon_id), Contains("user id may not contain ':'"));

  Identity colon_name = base;
  colon_name.username = "a:b";
  CHECK_THAT(error_for(colon_name), Contains("username may not contain ':'"));

  Identity colon_email = base;
  colon_email.email = "mailto:a@b";
  CHECK_THAT(error_for(colon_email), Contains("email may not contain ':'"));

  Identity control = base;
  control.username = "tab\there";
  CHECK_THAT(error_for(control), Contains("username contains a control character"));

  Identity no_roles = base;
  no_roles.roles.clear();
  CHECK_THAT(error_for(no_roles), Contains("at least one role"));

  Identity comma_role = base;
  comma_role.roles = {"user,admin"};
  CHECK_THAT(error_for(comma_role), Contains("may not contain ','"));

  Identity empty_role = base;
  empty_role.roles = {"user", ""};
  CHECK_THAT(error_for(empty_role), Contains("a role is empty"));

  Identity spaced_role = base;
  spaced_role.roles = {" admin"};
  CHECK_THAT(error_for(spaced_role), Contains("leading or trailing spaces"));

  Identity colon_role = base;
  colon_role.roles = {"a:b"};
  CHECK_THAT(error_for(colon_role), Contains("role may not contain ':'"));

  Identity bad_utf8 = base;
  bad_utf8.email = "\xc3";
  CHECK_THAT(error_for(bad_utf8), Contains("email is not valid UTF-8"));
}
