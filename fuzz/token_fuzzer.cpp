// Fuzzes what the server does with the token a request carries: demo token
// decoding, JWT decoding and verification (HS256 and RS256), and the
// Authenticator that picks between them. The input is the token itself, so the
// seed corpus is plain tokens (fuzz/corpus/token_fuzzer).
//
// Invariants, each a trap when broken:
// - a JWT is accepted only when its signed part (header.payload) is one this
//   fuzzer signed at start-up with its keys, and then it gives exactly the
//   identity that token was signed for: no mutation forges or alters one;
// - an accepted demo token decodes to an identity that validate_demo_identity
//   accepts and that encodes to a token decoding to the same identity;
// - the Authenticator agrees with the decoder/verifier it picks, rejects every
//   non-JWT token when demo tokens are off, and never echoes the token in an
//   error message;
// - decode_jwt_unverified agrees with verify on the identity of accepted tokens;
// - sign_jwt then verify gives back the identity (fields from the input bytes).

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sse/auth/authenticator.hpp"
#include "sse/auth/demo_token.hpp"
#include "sse/auth/jwt.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/json.hpp"

#include "fuzz_check.hpp"

namespace {

// The seed corpus holds tokens signed at this time with these keys; regenerate
// it (see fuzz/README.md) if any of them changes.
constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr int64_t kTenYearsMs = int64_t{10} * 365 * 24 * 3600 * 1000;
constexpr std::string_view kHs256Secret = "fuzz-hs256-secret";

std::string read_key(const std::string& name) {
  std::ifstream in(std::string(SSE_SOURCE_DIR) + "/tests/fixtures/keys/" + name);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  FUZZ_CHECK(!pem.empty());
  return pem;
}

bool same_identity(const sse::Identity& a, const sse::Identity& b) {
  return a.user_id == b.user_id && a.username == b.username && a.email == b.email &&
         a.roles == b.roles && a.expires_at_ms == b.expires_at_ms;
}

// The signed part of a compact JWS: everything before the last '.'.
std::string_view signing_input(std::string_view token) {
  const size_t dot = token.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : token.substr(0, dot);
}

bool is_jwt_shaped(std::string_view token) {
  return std::count(token.begin(), token.end(), '.') == 2;
}

struct Fixture {
  sse::ManualClock clock{kNowMs};
  std::string rs256_private = read_key("rs256_private.pem");
  std::string rs256_public = read_key("rs256_public.pem");
  sse::JwtVerifier verifier{{std::string(kHs256Secret), rs256_public}, clock};
  sse::Authenticator demo_and_jwt{{true, {std::string(kHs256Secret), rs256_public}, 0}, clock};
  sse::Authenticator jwt_only{{false, {std::string(kHs256Secret), rs256_public}, 0}, clock};
  sse::Authenticator demo_only{{true, {}, 0}, clock};
  // Signing input of every valid token signed here -> the identity it carries.
  std::map<std::string, sse::Identity, std::less<>> signed_tokens;
  // Every token made here, valid or not: the JWT part of the seed corpus.
  std::vector<std::string> seeds;

  Fixture() {
    const std::vector<sse::Identity> identities = {
        {"test123", "testuser", "test@example.com", {"user", "admin"}, {}},
        {"u1", "", "", {"user"}, {}},
        {"alice", "Alice Ünïcødé", "alice@example.org", {}, {}},
    };
    for (const sse::Identity& identity : identities) {
      sign(identity, {std::string(kHs256Secret), ""}, kTenYearsMs, true);
      sign(identity, {"", rs256_private}, kTenYearsMs, true);
    }
    // Tokens that must be rejected: signed an hour before kNowMs for a minute;
    // signed with another RSA key; HS256 keyed with the RS256 public key
    // (algorithm confusion); HS256 with another secret.
    sse::ManualClock earlier(kNowMs - 3'600'000);
    seeds.push_back(
        *sse::sign_jwt(identities[0], {std::string(kHs256Secret), ""}, 60'000, earlier));
    sign(identities[0], {"", read_key("other_private.pem")}, kTenYearsMs, false);
    sign(identities[0], {rs256_public, ""}, kTenYearsMs, false);
    sign(identities[0], {"another-secret", ""}, kTenYearsMs, false);
  }

  void sign(const sse::Identity& identity, const sse::JwtSigningKey& key, int64_t ttl_ms,
            bool valid) {
    sse::Result<std::string> token = sse::sign_jwt(identity, key, ttl_ms, clock);
    FUZZ_CHECK(token.ok());
    seeds.push_back(*token);
    sse::Result<sse::Identity> verified = verifier.verify(*token);
    FUZZ_CHECK(verified.ok() == valid);
    if (valid) signed_tokens.emplace(std::string(signing_input(*token)), *verified);
  }
};

const Fixture& fixture() {
  static const Fixture* const kFixture = new Fixture();  // never destroyed: fuzzers exit anywhere
  return *kFixture;
}

// Error messages must not echo the token. Only long tokens without spaces are
// checked, so a token can never match a fixed message text by chance.
void check_not_echoed(std::string_view token, const std::string& message) {
  if (token.size() < 40 || token.find(' ') != std::string_view::npos) return;
  FUZZ_CHECK(message.find(token) == std::string::npos);
}

void check_jwt(std::string_view token) {
  const Fixture& f = fixture();
  const sse::Result<sse::Identity> verified = f.verifier.verify(token);
  const sse::Result<sse::DecodedJwt> decoded = sse::decode_jwt_unverified(token);
  if (!verified) {
    check_not_echoed(token, verified.message());
    return;
  }
  const auto it = f.signed_tokens.find(signing_input(token));
  FUZZ_CHECK(it != f.signed_tokens.end());
  FUZZ_CHECK(same_identity(*verified, it->second));
  FUZZ_CHECK(verified->expires_at_ms && *verified->expires_at_ms > kNowMs);
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(decoded->identity.user_id == verified->user_id);
  FUZZ_CHECK(decoded->identity.roles == verified->roles);
}

void check_demo(std::string_view token) {
  const sse::Result<sse::Identity> identity = sse::decode_demo_token(token);
  if (!identity) {
    check_not_echoed(token, identity.message());
    return;
  }
  FUZZ_CHECK(sse::validate_demo_identity(*identity).ok());
  FUZZ_CHECK(sse::is_valid_utf8(identity->user_id) && sse::is_valid_utf8(identity->username) &&
             sse::is_valid_utf8(identity->email));
  FUZZ_CHECK(!identity->expires_at_ms);
  const sse::Result<sse::Identity> again =
      sse::decode_demo_token(sse::encode_demo_token(*identity));
  FUZZ_CHECK(again.ok() && same_identity(*again, *identity));
}

bool same_result(const sse::Result<sse::Identity>& a, const sse::Result<sse::Identity>& b) {
  if (a.ok() != b.ok()) return false;
  return a.ok() ? same_identity(*a, *b) : a.message() == b.message();
}

void check_authenticators(std::string_view token) {
  const Fixture& f = fixture();
  const auto with_demo = f.demo_and_jwt.authenticate(token);
  const auto without_demo = f.jwt_only.authenticate(token);
  const auto without_jwt = f.demo_only.authenticate(token);
  for (const auto* result : {&with_demo, &without_demo, &without_jwt}) {
    if (!result->ok()) check_not_echoed(token, result->message());
  }
  if (token.empty() || token.size() > sse::Authenticator::kMaxTokenBytes) {
    FUZZ_CHECK(!with_demo.ok() && !without_demo.ok() && !without_jwt.ok());
    return;
  }
  if (is_jwt_shaped(token)) {
    const auto verified = f.verifier.verify(token);
    FUZZ_CHECK(same_result(with_demo, verified));
    FUZZ_CHECK(same_result(without_demo, verified));
    FUZZ_CHECK(!without_jwt.ok());
  } else {
    const auto decoded = sse::decode_demo_token(token);
    FUZZ_CHECK(same_result(with_demo, decoded));
    FUZZ_CHECK(same_result(without_jwt, decoded));
    FUZZ_CHECK(!without_demo.ok());
  }
}

// sign_jwt -> verify gives the identity back (HS256: RSA signing is too slow
// to do on every input).
void check_sign_round_trip(const uint8_t* bytes, size_t size) {
  FuzzedDataProvider provider(bytes, size);
  sse::Identity identity;
  identity.user_id = provider.ConsumeRandomLengthString(32);
  identity.username = provider.ConsumeRandomLengthString(32);
  identity.email = provider.ConsumeRandomLengthString(32);
  for (int i = provider.ConsumeIntegralInRange(0, 3); i > 0; --i) {
    identity.roles.push_back(provider.ConsumeRandomLengthString(16));
  }
  bool utf8 = sse::is_valid_utf8(identity.user_id) && sse::is_valid_utf8(identity.username) &&
              sse::is_valid_utf8(identity.email);
  for (const std::string& role : identity.roles) utf8 = utf8 && sse::is_valid_utf8(role);

  const Fixture& f = fixture();
  const sse::Result<std::string> token =
      sse::sign_jwt(identity, {std::string(kHs256Secret), ""}, 60'000, f.clock);
  FUZZ_CHECK(token.ok() == !identity.user_id.empty());
  if (!token || !utf8) return;
  const sse::Result<sse::Identity> verified = f.verifier.verify(*token);
  FUZZ_CHECK(verified.ok());
  FUZZ_CHECK(verified->user_id == identity.user_id);
  FUZZ_CHECK(verified->username ==
             (identity.username.empty() ? identity.user_id : identity.username));
  FUZZ_CHECK(verified->email == identity.email);
  FUZZ_CHECK(verified->roles == identity.roles);
  FUZZ_CHECK(verified->expires_at_ms == kNowMs + 60'000);
}

}  // namespace

// SSE_TOKEN_FUZZER_WRITE_SEEDS=DIR writes the JWTs made at start-up into DIR
// as jwt-<n> (how fuzz/corpus/token_fuzzer/jwt-* was made).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const Fixture& f = fixture();
  if (const char* dir = std::getenv("SSE_TOKEN_FUZZER_WRITE_SEEDS")) {
    for (size_t i = 0; i < f.seeds.size(); ++i) {
      std::ofstream(std::string(dir) + "/jwt-" + std::to_string(i), std::ios::binary) << f.seeds[i];
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(bytes), size);
  check_jwt(token);
  check_demo(token);
  check_authenticators(token);
  check_sign_round_trip(bytes, size);
  return 0;
}
