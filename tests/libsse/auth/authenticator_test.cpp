#include "sse/auth/authenticator.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "sse/auth/demo_token.hpp"

using Catch::Matchers::Contains;
using sse::Authenticator;
using sse::AuthOptions;
using sse::bearer_token;
using sse::Identity;
using sse::JwtKeys;
using sse::JwtSigningKey;
using sse::ManualClock;

namespace {

constexpr const char* kDemoToken = "dGVzdDEyMzp0ZXN0dXNlcjp0ZXN0QGV4YW1wbGUuY29tOnVzZXIsYWRtaW4=";
const std::string kSecret = "authenticator-test-secret";

std::string read_key(const std::string& name) {
  std::ifstream in(std::string(SSE_SOURCE_DIR) + "/tests/fixtures/keys/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string jwt_for(const std::string& user_id, const JwtSigningKey& key, const sse::Clock& clock) {
  auto token =
      sse::sign_jwt(Identity{user_id, "name", "", {"user"}, std::nullopt}, key, 60'000, clock);
  REQUIRE(token.ok());
  return *token;
}

std::string rejection(const Authenticator& auth, std::string_view token) {
  auto result = auth.authenticate(token);
  REQUIRE_FALSE(result.ok());
  return result.message();
}

}  // namespace

TEST_CASE("authenticator: demo tokens and JWTs are routed by shape", "[auth]") {
  ManualClock clock;
  Authenticator auth(AuthOptions{true, JwtKeys{kSecret, read_key("rs256_public.pem")}}, clock);
  REQUIRE(auth.key_status().ok());

  auto demo = auth.authenticate(kDemoToken);
  REQUIRE(demo.ok());
  CHECK(demo->user_id == "test123");
  CHECK(demo->is_admin());

  auto hs = auth.authenticate(jwt_for("hs-user", JwtSigningKey{kSecret, ""}, clock));
  REQUIRE(hs.ok());
  CHECK(hs->user_id == "hs-user");
  CHECK(hs->expires_at_ms == clock.now_ms() + 60'000);

  auto rs = auth.authenticate(
      jwt_for("rs-user", JwtSigningKey{"", read_key("rs256_private.pem")}, clock));
  REQUIRE(rs.ok());
  CHECK(rs->user_id == "rs-user");
}

TEST_CASE("authenticator: JWT rejections keep the verifier's reason", "[auth]") {
  ManualClock clock;
  Authenticator auth(AuthOptions{true, JwtKeys{kSecret, ""}}, clock);
  const std::string token = jwt_for("u1", JwtSigningKey{kSecret, ""}, clock);
  CHECK(rejection(auth, jwt_for("u1", JwtSigningKey{"other", ""}, clock)) == "bad signature");
  clock.advance_ms(60'000);
  CHECK(rejection(auth, token) == "token expired");
  // A JWT-shaped token is never reinterpreted as a demo token.
  CHECK_THAT(rejection(auth, "a.b.c"), Contains("malformed token"));
}

TEST_CASE("authenticator: demo tokens can be turned off", "[auth]") {
  ManualClock clock;
  Authenticator auth(AuthOptions{false, JwtKeys{kSecret, ""}}, clock);
  CHECK_FALSE(auth.demo_tokens_enabled());
  CHECK(rejection(auth, kDemoToken) == "demo tokens are disabled");
  CHECK(auth.authenticate(jwt_for("u1", JwtSigningKey{kSecret, ""}, clock)).ok());
}

TEST_CASE("authenticator: JWTs are refused when no JWT key is configured", "[auth]") {
  ManualClock clock;
  Authenticator auth(AuthOptions{true, JwtKeys{}}, clock);
  CHECK_FALSE(auth.jwt_enabled());
  CHECK(rejection(auth, jwt_for("u1", JwtSigningKey{kSecret, ""}, clock)) ==
        "JWT is not configured");
  CHECK(auth.authenticate(kDemoToken).ok());
}

TEST_CASE("authenticator: a missing, malformed or oversized token is refused", "[auth]") {
  ManualClock clock;
  Authenticator auth(AuthOptions{}, clock);
  CHECK(rejection(auth, "") == "missing token");
  CHECK_THAT(rejection(auth, "not base64!"), Contains("not valid base64"));
  CHECK_THAT(rejection(auth, "a.b"), Contains("not valid base64"));  // one dot: not a JWT
  const std::string huge(Authenticator::kMaxTokenBytes + 1, 'A');
  CHECK(rejection(auth, huge) == "token too long");
}

TEST_CASE("authenticator: the JWT leeway setting reaches the verifier", "[auth]") {
  ManualClock clock;
  AuthOptions settings{true, JwtKeys{kSecret, ""}};
  settings.jwt_leeway_ms = 5'000;
  Authenticator auth(settings, clock);
  const std::string token = jwt_for("u1", JwtSigningKey{kSecret, ""}, clock);
  clock.advance_ms(64'999);
  CHECK(auth.authenticate(token).ok());
  clock.advance_ms(1);
  CHECK(rejection(auth, token) == "token expired");
}

TEST_CASE("bearer_token: reads the token of a Bearer header", "[auth]") {
  CHECK(bearer_token("Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(bearer_token("bearer abc") == "abc");
  CHECK(bearer_token("BEARER abc") == "abc");
  CHECK(bearer_token("  Bearer \t abc  ") == "abc");
  CHECK(bearer_token(std::string("Bearer ") + kDemoToken) == kDemoToken);
  CHECK(bearer_token("Bearer") == "");
  CHECK(bearer_token("Bearer   ") == "");
}

TEST_CASE("bearer_token: other schemes are not bearer headers", "[auth]") {
  CHECK_FALSE(bearer_token("").has_value());
  CHECK_FALSE(bearer_token("Basic dXNlcjpwYXNz").has_value());
  CHECK_FALSE(bearer_token("Bearerabc").has_value());
  CHECK_FALSE(bearer_token("Bear abc").has_value());
  CHECK_FALSE(bearer_token("abc").has_value());
}

TEST_CASE("authenticator: a remembered JWT is refused once it expires", "[auth]") {
  ManualClock clock;
  Authenticator auth(AuthOptions{true, JwtKeys{kSecret, ""}}, clock);
  const std::string token = jwt_for("u1", JwtSigningKey{kSecret, ""}, clock);
  for (int i = 0; i < 3; ++i) CHECK(auth.authenticate(token).ok());  // verified, then remembered
  clock.advance_ms(59'999);
  CHECK(auth.authenticate(token).ok());
  clock.advance_ms(1);
  CHECK(rejection(auth, token) == "token expired");
  // Another authenticator (another key) does not see what this one remembered.
  Authenticator other(AuthOptions{true, JwtKeys{"another-secret", ""}}, clock);
  const std::string fresh = jwt_for("u2", JwtSigningKey{kSecret, ""}, clock);
  CHECK(auth.authenticate(fresh).ok());
  CHECK(rejection(other, fresh) == "bad signature");
}

TEST_CASE("authenticator: authenticate_shared gives the remembered identity itself", "[auth]") {
  ManualClock clock;
  Authenticator auth(AuthOptions{true, JwtKeys{kSecret, ""}}, clock);
  auto first = auth.authenticate_shared(kDemoToken);
  REQUIRE(first.ok());
  auto again = auth.authenticate_shared(kDemoToken);
  REQUIRE(again.ok());
  CHECK(again->get() == first->get());  // not a copy
  CHECK((*again)->user_id == auth.authenticate(kDemoToken)->user_id);
  auto refused = auth.authenticate_shared("");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.message() == "missing token");
}
