#include "sse/auth/jwt.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/HMACEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/SHA2Engine.h>

using Catch::Matchers::Contains;
using sse::decode_jwt_unverified;
using sse::Identity;
using sse::JwtKeys;
using sse::JwtSigningKey;
using sse::JwtVerifier;
using sse::ManualClock;
using sse::sign_jwt;

namespace {

constexpr int64_t kNowMs = 1'700'000'000'000;  // ManualClock's default start
constexpr int64_t kNowS = kNowMs / 1000;
const std::string kSecret = "test-secret-that-is-long-enough-for-hs256";

std::string read_key(const std::string& name) {
  std::ifstream in(std::string(SSE_SOURCE_DIR) + "/tests/fixtures/keys/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string base64url(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  return out.str();
}

// Poco's own SHA-256 (not the OpenSSL one the verifier uses), as HMACEngine wants it.
class Sha256 : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
};

// A hand-made token: any header, any payload, signed with HMAC-SHA256.
std::string hs256_token(const std::string& payload_json, const std::string& secret = kSecret,
                        const std::string& header_json = R"({"alg":"HS256","typ":"JWT"})") {
  const std::string signing_input = base64url(header_json) + "." + base64url(payload_json);
  Poco::HMACEngine<Sha256> hmac(secret);
  hmac.update(signing_input);
  const Poco::DigestEngine::Digest& digest = hmac.digest();
  return signing_input + "." + base64url(std::string(digest.begin(), digest.end()));
}

std::string unsigned_token(const std::string& header_json, const std::string& payload_json,
                           const std::string& signature = "") {
  return base64url(header_json) + "." + base64url(payload_json) + "." + signature;
}

// A token signed by Poco::JWT with `algorithm` and an RSA private key.
std::string rsa_token(const std::string& payload_json, const std::string& private_key_file,
                      const std::string& algorithm = "RS256") {
  std::istringstream pem(read_key(private_key_file));
  Poco::SharedPtr<Poco::Crypto::RSAKey> key(new Poco::Crypto::RSAKey(nullptr, &pem));
  Poco::JWT::Token token;
  Poco::JSON::Parser parser;
  token.payload() = *parser.parse(payload_json).extract<Poco::JSON::Object::Ptr>();
  Poco::JWT::Signer signer(key);
  return signer.sign(token, algorithm);
}

std::string claims(const std::string& extra = "") {
  return R"({"sub":"u42","name":"Ada","email":"ada@example.com","roles":["user","admin"],"exp":)" +
         std::to_string(kNowS + 3600) + extra + "}";
}

JwtKeys hs256_keys() { return JwtKeys{kSecret, ""}; }
JwtKeys rs256_keys() { return JwtKeys{"", read_key("rs256_public.pem")}; }

std::string rejection(const JwtVerifier& verifier, const std::string& token) {
  auto result = verifier.verify(token);
  REQUIRE_FALSE(result.ok());
  return result.message();
}

}  // namespace

TEST_CASE("jwt: a good HS256 token yields its identity", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  REQUIRE(verifier.enabled());
  REQUIRE(verifier.key_status().ok());
  auto identity = verifier.verify(hs256_token(claims()));
  REQUIRE(identity.ok());
  CHECK(identity->user_id == "u42");
  CHECK(identity->username == "Ada");
  CHECK(identity->email == "ada@example.com");
  CHECK(identity->roles == std::vector<std::string>{"user", "admin"});
  CHECK(identity->expires_at_ms == (kNowS + 3600) * 1000);
}

TEST_CASE("jwt: a good RS256 token yields its identity", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(rs256_keys(), clock);
  REQUIRE(verifier.key_status().ok());
  auto identity = verifier.verify(rsa_token(claims(), "rs256_private.pem"));
  REQUIRE(identity.ok());
  CHECK(identity->user_id == "u42");
  CHECK(identity->is_admin());
}

TEST_CASE("jwt: a token whose payload was changed is rejected", "[auth]") {
  ManualClock clock;
  const std::string forged_payload =
      base64url(R"({"sub":"u42","roles":["user","admin","root"],"exp":)" +
                std::to_string(kNowS + 3600) + "}");
  auto forge = [&](const std::string& token) {
    const size_t first = token.find('.');
    const size_t second = token.find('.', first + 1);
    return token.substr(0, first + 1) + forged_payload + token.substr(second);
  };
  JwtVerifier hs(hs256_keys(), clock);
  CHECK(rejection(hs, forge(hs256_token(claims()))) == "bad signature");
  JwtVerifier rs(rs256_keys(), clock);
  CHECK(rejection(rs, forge(rsa_token(claims(), "rs256_private.pem"))) == "bad signature");
}

TEST_CASE("jwt: a token signed with another secret or RSA key is rejected", "[auth]") {
  ManualClock clock;
  JwtVerifier hs(hs256_keys(), clock);
  CHECK(rejection(hs, hs256_token(claims(), "another-secret")) == "bad signature");
  JwtVerifier rs(rs256_keys(), clock);
  CHECK(rejection(rs, rsa_token(claims(), "other_private.pem")) == "bad signature");
}

TEST_CASE("jwt: a damaged signature is rejected", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(JwtKeys{kSecret, read_key("rs256_public.pem")}, clock);
  for (std::string token : {hs256_token(claims()), rsa_token(claims(), "rs256_private.pem")}) {
    CHECK(rejection(verifier, token.substr(0, token.rfind('.') + 1)) == "bad signature");
    CHECK(rejection(verifier, token + "A") == "bad signature");
    CHECK(rejection(verifier, token.substr(0, token.size() - 2) + "!!") == "bad signature");
  }
}

TEST_CASE("jwt: exp is enforced, exp itself being already too late", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  const std::string token = hs256_token(R"({"sub":"u1","exp":)" + std::to_string(kNowS + 10) + "}");
  CHECK(verifier.verify(token).ok());
  clock.advance_ms(9'999);
  CHECK(verifier.verify(token).ok());
  clock.advance_ms(1);  // now == exp: RFC 7519 4.1.4 says "on or after"
  CHECK(rejection(verifier, token) == "token expired");
  clock.advance_ms(3'600'000);
  CHECK(rejection(verifier, token) == "token expired");
}

TEST_CASE("jwt: nbf is enforced", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  const std::string token = hs256_token(claims(R"(,"nbf":)" + std::to_string(kNowS + 60)));
  CHECK(rejection(verifier, token) == "token not yet valid");
  clock.advance_ms(59'999);
  CHECK(rejection(verifier, token) == "token not yet valid");
  clock.advance_ms(1);
  CHECK(verifier.verify(token).ok());
}

TEST_CASE("jwt: the leeway tolerates clock skew on exp and nbf, and no more", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock, 30'000);
  const std::string expired_10s_ago =
      hs256_token(R"({"sub":"u1","exp":)" + std::to_string(kNowS - 10) + "}");
  const std::string expired_31s_ago =
      hs256_token(R"({"sub":"u1","exp":)" + std::to_string(kNowS - 31) + "}");
  const std::string valid_in_10s = hs256_token(claims(R"(,"nbf":)" + std::to_string(kNowS + 10)));
  const std::string valid_in_31s = hs256_token(claims(R"(,"nbf":)" + std::to_string(kNowS + 31)));
  CHECK(verifier.verify(expired_10s_ago).ok());
  CHECK(rejection(verifier, expired_31s_ago) == "token expired");
  CHECK(verifier.verify(valid_in_10s).ok());
  CHECK(rejection(verifier, valid_in_31s) == "token not yet valid");

  JwtVerifier strict(hs256_keys(), clock);
  CHECK(rejection(strict, expired_10s_ago) == "token expired");
  CHECK(rejection(strict, valid_in_10s) == "token not yet valid");
}

TEST_CASE("jwt: fractional NumericDates are accepted", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  auto identity = verifier.verify(hs256_token(R"({"sub":"u1","exp":1700000001.5})"));
  REQUIRE(identity.ok());
  CHECK(identity->expires_at_ms == 1'700'000'001'500);
  clock.advance_ms(1'500);
  CHECK(rejection(verifier, hs256_token(R"({"sub":"u1","exp":1700000001.5})")) == "token expired");
}

TEST_CASE("jwt: exp and nbf that are not numbers are rejected", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  CHECK_THAT(rejection(verifier, hs256_token(R"({"sub":"u1","exp":"tomorrow"})")),
             Contains("invalid exp claim"));
  CHECK_THAT(rejection(verifier, hs256_token(R"({"sub":"u1","exp":true})")),
             Contains("invalid exp claim"));
  CHECK_THAT(rejection(verifier, hs256_token(R"({"sub":"u1","nbf":"now"})")),
             Contains("invalid nbf claim"));
  CHECK_THAT(rejection(verifier, hs256_token(R"({"sub":"u1","exp":1e300})")),
             Contains("invalid exp claim"));
}

TEST_CASE("jwt: a token without exp does not expire", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  auto identity = verifier.verify(hs256_token(R"({"sub":"u1"})"));
  REQUIRE(identity.ok());
  CHECK_FALSE(identity->expires_at_ms.has_value());
}

TEST_CASE("jwt: alg none is never accepted", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(JwtKeys{kSecret, read_key("rs256_public.pem")}, clock);
  CHECK(rejection(verifier, unsigned_token(R"({"alg":"none","typ":"JWT"})", claims())) ==
        "unsupported algorithm 'none'");
  CHECK(rejection(verifier, unsigned_token(R"({"alg":"NONE"})", claims())) ==
        "unsupported algorithm 'NONE'");
  // A none token carrying a valid-looking HS256 signature is still refused.
  const std::string real = hs256_token(claims());
  CHECK(rejection(verifier, unsigned_token(R"({"alg":"none"})", claims(),
                                           real.substr(real.rfind('.') + 1))) ==
        "unsupported algorithm 'none'");
}

TEST_CASE("jwt: algorithms other than HS256 and RS256 are refused", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(JwtKeys{kSecret, read_key("rs256_public.pem")}, clock);

  Poco::JWT::Token token;
  token.payload().set("sub", std::string("u1"));
  Poco::JWT::Signer hs512(kSecret);
  CHECK(rejection(verifier, hs512.sign(token, "HS512")) == "unsupported algorithm 'HS512'");
  CHECK(rejection(verifier, rsa_token(claims(), "rs256_private.pem", "RS512")) ==
        "unsupported algorithm 'RS512'");
  CHECK(rejection(verifier, hs256_token(claims(), kSecret, R"({"alg":"ES256"})")) ==
        "unsupported algorithm 'ES256'");
  CHECK(rejection(verifier, hs256_token(claims(), kSecret, R"({"alg":"hs256"})")) ==
        "unsupported algorithm 'hs256'");
  // An attacker-sized alg is not echoed.
  CHECK(rejection(verifier, hs256_token(claims(), kSecret,
                                        R"({"alg":")" + std::string(100, 'X') + R"("})")) ==
        "unsupported algorithm");
}

TEST_CASE("jwt: an algorithm whose key is not configured is refused", "[auth]") {
  ManualClock clock;
  JwtVerifier hs_only(hs256_keys(), clock);
  CHECK(rejection(hs_only, rsa_token(claims(), "rs256_private.pem")) ==
        "algorithm RS256 is not configured");
  JwtVerifier rs_only(rs256_keys(), clock);
  CHECK(rejection(rs_only, hs256_token(claims())) == "algorithm HS256 is not configured");
  JwtVerifier none(JwtKeys{}, clock);
  CHECK_FALSE(none.enabled());
  CHECK(rejection(none, hs256_token(claims())) == "algorithm HS256 is not configured");
}

TEST_CASE("jwt: the RS256 public key never serves as an HS256 secret", "[auth]") {
  ManualClock clock;
  const std::string public_pem = read_key("rs256_public.pem");
  const std::string confused = hs256_token(claims(), public_pem);
  JwtVerifier rs_only(JwtKeys{"", public_pem}, clock);
  CHECK(rejection(rs_only, confused) == "algorithm HS256 is not configured");
  JwtVerifier both(JwtKeys{kSecret, public_pem}, clock);
  CHECK(rejection(both, confused) == "bad signature");
}

TEST_CASE("jwt: sub is required and must be a string", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  CHECK(rejection(verifier, hs256_token(R"({"name":"Ada"})")) == "missing sub claim");
  CHECK(rejection(verifier, hs256_token(R"({"sub":""})")) == "missing sub claim");
  CHECK_THAT(rejection(verifier, hs256_token(R"({"sub":42})")), Contains("invalid sub claim"));
}

TEST_CASE("jwt: roles may be an array or a comma-separated string", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  auto roles_of = [&](const std::string& roles_json) {
    auto identity = verifier.verify(hs256_token(R"({"sub":"u1","roles":)" + roles_json + "}"));
    REQUIRE(identity.ok());
    return identity->roles;
  };
  using Roles = std::vector<std::string>;
  CHECK(roles_of(R"(["user","admin"])") == Roles{"user", "admin"});
  CHECK(roles_of(R"("user,admin")") == Roles{"user", "admin"});
  CHECK(roles_of(R"(" user , admin ,")") == Roles{"user", "admin"});
  CHECK(roles_of(R"("")") == Roles{});
  CHECK(roles_of("[]") == Roles{});
  CHECK(roles_of("null") == Roles{});
  CHECK(verifier.verify(hs256_token(R"({"sub":"u1"})"))->roles.empty());

  CHECK_THAT(rejection(verifier, hs256_token(R"({"sub":"u1","roles":["user",1]})")),
             Contains("invalid roles claim"));
  CHECK_THAT(rejection(verifier, hs256_token(R"({"sub":"u1","roles":{"admin":true}})")),
             Contains("invalid roles claim"));
}

TEST_CASE("jwt: username comes from name, else preferred_username, else sub", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  CHECK(verifier.verify(hs256_token(R"({"sub":"u1","name":"Ada","preferred_username":"ada"})"))
            ->username == "Ada");
  CHECK(verifier.verify(hs256_token(R"({"sub":"u1","preferred_username":"ada"})"))->username ==
        "ada");
  CHECK(verifier.verify(hs256_token(R"({"sub":"u1"})"))->username == "u1");
}

TEST_CASE("jwt: malformed tokens are rejected as such", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(hs256_keys(), clock);
  for (const std::string& token :
       {std::string("a.b"), std::string("a.b.c.d"), std::string(".."), std::string("%%%.e30.x"),
        unsigned_token("not json", "{}"), unsigned_token(R"({"alg":"HS256"})", "[1,2]"),
        unsigned_token(R"(["HS256"])", "{}"), unsigned_token("{}", "{}"),
        unsigned_token(R"({"alg":256})", "{}")}) {
    CAPTURE(token);
    CHECK_THAT(rejection(verifier, token), Contains("malformed token"));
  }
}

TEST_CASE("jwt: an unreadable RS256 public key is reported, not thrown", "[auth]") {
  ManualClock clock;
  JwtVerifier verifier(JwtKeys{"", "-----BEGIN PUBLIC KEY-----\ngarbage\n"}, clock);
  CHECK(verifier.enabled());
  CHECK_FALSE(verifier.key_status().ok());
  CHECK_THAT(verifier.key_status().message(), Contains("RSA public key"));
  CHECK(rejection(verifier, rsa_token(claims(), "rs256_private.pem")) ==
        "RS256 public key could not be loaded");
}

TEST_CASE("jwt: sign_jwt tokens verify, with HS256 and with RS256", "[auth]") {
  ManualClock clock;
  const Identity identity{"u7", "Grace", "grace@example.com", {"user"}, std::nullopt};
  JwtVerifier verifier(JwtKeys{kSecret, read_key("rs256_public.pem")}, clock);
  for (const JwtSigningKey& key :
       {JwtSigningKey{kSecret, ""}, JwtSigningKey{"", read_key("rs256_private.pem")}}) {
    auto token = sign_jwt(identity, key, 60'000, clock);
    REQUIRE(token.ok());
    auto verified = verifier.verify(*token);
    REQUIRE(verified.ok());
    CHECK(verified->user_id == "u7");
    CHECK(verified->username == "Grace");
    CHECK(verified->email == "grace@example.com");
    CHECK(verified->roles == identity.roles);
    CHECK(verified->expires_at_ms == kNowMs + 60'000);
  }
  auto token = sign_jwt(identity, JwtSigningKey{kSecret, ""}, 60'000, clock);
  REQUIRE(token.ok());
  clock.advance_ms(60'000);
  CHECK(rejection(verifier, *token) == "token expired");
}

TEST_CASE("jwt: sign_jwt writes iat and exp as whole seconds", "[auth]") {
  ManualClock clock(kNowMs + 999);
  auto token = sign_jwt(Identity{"u7", "", "", {}, std::nullopt}, JwtSigningKey{kSecret, ""},
                        3'600'000, clock);
  REQUIRE(token.ok());
  auto decoded = decode_jwt_unverified(*token);
  REQUIRE(decoded.ok());
  CHECK_THAT(decoded->payload_json, Contains("\"exp\":" + std::to_string(kNowS + 3600) + ","));
  CHECK_THAT(decoded->payload_json, Contains("\"iat\":" + std::to_string(kNowS) + ","));
  CHECK(decoded->identity.expires_at_ms == (kNowS + 3600) * 1000);
}

TEST_CASE("jwt: sign_jwt refuses what it cannot sign", "[auth]") {
  ManualClock clock;
  const Identity identity{"u7", "", "", {"user"}, std::nullopt};
  auto error_of = [&](const Identity& who, const JwtSigningKey& key, int64_t ttl_ms) {
    auto token = sign_jwt(who, key, ttl_ms, clock);
    REQUIRE_FALSE(token.ok());
    return token.message();
  };
  CHECK_THAT(error_of(identity, JwtSigningKey{}, 60'000), Contains("no signing key"));
  CHECK_THAT(error_of(identity, JwtSigningKey{kSecret, read_key("rs256_private.pem")}, 60'000),
             Contains("not both"));
  CHECK_THAT(error_of(Identity{}, JwtSigningKey{kSecret, ""}, 60'000), Contains("user id"));
  CHECK_THAT(error_of(identity, JwtSigningKey{kSecret, ""}, 999), Contains("at least 1 second"));
  CHECK_THAT(error_of(identity, JwtSigningKey{"", "not a pem"}, 60'000),
             Contains("RSA private key"));
}

TEST_CASE("jwt: decode_jwt_unverified shows header, payload and identity", "[auth]") {
  // Signed with a key nobody here holds: decoding must not care.
  auto decoded = decode_jwt_unverified(rsa_token(claims(), "other_private.pem"));
  REQUIRE(decoded.ok());
  CHECK(decoded->algorithm == "RS256");
  CHECK_THAT(decoded->header_json, Contains("\"alg\":\"RS256\""));
  CHECK_THAT(decoded->payload_json, Contains("\"sub\":\"u42\""));
  CHECK(decoded->identity.user_id == "u42");
  CHECK(decoded->identity.username == "Ada");
  CHECK(decoded->identity.roles == std::vector<std::string>{"user", "admin"});
  CHECK(decoded->identity.expires_at_ms == (kNowS + 3600) * 1000);

  auto odd = decode_jwt_unverified(unsigned_token(R"({"alg":"none"})", R"({"roles":7})"));
  REQUIRE(odd.ok());
  CHECK(odd->algorithm == "none");
  CHECK(odd->identity.user_id.empty());
  CHECK(odd->identity.roles.empty());

  auto malformed = decode_jwt_unverified("not-a-jwt");
  REQUIRE_FALSE(malformed.ok());
  CHECK_THAT(malformed.message(), Contains("malformed token"));
}

TEST_CASE("jwt: one verifier serves many threads at once", "[auth]") {
  ManualClock clock;
  const JwtVerifier verifier(JwtKeys{kSecret, read_key("rs256_public.pem")}, clock);
  const std::vector<std::string> good = {hs256_token(claims()),
                                         rsa_token(claims(), "rs256_private.pem")};
  const std::string bad = hs256_token(claims(), "wrong");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (!verifier.verify(good[(t + i) % 2]).ok()) ++failures;
        if (verifier.verify(bad).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == 0);
}
