#pragma once

// JSON Web Tokens (RFC 7519) signed with HS256 (a shared secret) or RS256 (an
// RSA key pair), built on Poco::JWT. Poco 1.11 checks neither exp nor nbf;
// JwtVerifier does.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sse/auth/identity.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/result.hpp"

namespace Poco::JWT {
class Signer;
}

namespace sse {

// What a verifier accepts. Each algorithm has its own key, so an RS256 public
// key can never be used as an HS256 secret (algorithm confusion).
struct JwtKeys {
  std::string hs256_secret;      // empty: HS256 is not accepted
  std::string rs256_public_pem;  // "BEGIN PUBLIC KEY" or "BEGIN RSA PUBLIC KEY"; empty: no RS256
};

// Verifies tokens against fixed keys. Built once at start-up; verify() is const
// and safe to call from many threads at once (Poco::JWT::Signer::tryVerify is
// const and keeps no per-call state in the Signer, so no lock is needed).
// Non-copyable; `clock` must outlive the verifier.
class JwtVerifier {
 public:
  // `leeway_ms` (negative counts as 0) tolerates clock skew on exp and nbf.
  // A public key that cannot be read does not throw: key_status() reports it
  // and every RS256 token is then rejected.
  JwtVerifier(JwtKeys keys, const Clock& clock, int64_t leeway_ms = 0);
  ~JwtVerifier();
  JwtVerifier(JwtVerifier&&) noexcept;
  JwtVerifier& operator=(JwtVerifier&&) noexcept;
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // At least one key is configured.
  bool enabled() const;
  // Ok, or why the RS256 public key could not be loaded (the server should
  // refuse to start on it).
  const Status& key_status() const { return key_status_; }

  // Claims: sub -> user_id (required), name, else preferred_username, else sub
  // -> username, email, roles (a JSON array of strings or a comma-separated
  // string; absent means no roles), exp/nbf in seconds (may be fractional),
  // enforced with the leeway: rejected when now >= exp + leeway or
  // now + leeway < nbf. expires_at_ms is exp in ms.
  // Rejections: "malformed token: ...", "unsupported algorithm 'none'",
  // "unsupported algorithm 'HS512'", "algorithm RS256 is not configured",
  // "bad signature", "token expired", "token not yet valid", "missing sub claim",
  // "invalid roles claim", "invalid exp claim", ...
  Result<Identity> verify(std::string_view token) const;

 private:
  std::string hs256_secret_;
  std::unique_ptr<Poco::JWT::Signer> rs256_signer_;  // null: RS256 not accepted
  bool rs256_configured_ = false;
  Status key_status_;
  const Clock* clock_;
  int64_t leeway_ms_;
};

// The key sign_jwt signs with: set exactly one of the two.
struct JwtSigningKey {
  std::string hs256_secret;
  std::string rs256_private_pem;  // PKCS#8 "BEGIN PRIVATE KEY" or "BEGIN RSA PRIVATE KEY"
};

// Signs {sub, name, email, roles (array), iat, exp = now + ttl} (iat and exp in
// whole seconds, rounded down) with HS256 or RS256, whichever key is set.
// Fails on an empty user id, a ttl <= 0, no key or both keys, or a key that
// cannot be read.
Result<std::string> sign_jwt(const Identity& identity, const JwtSigningKey& key, int64_t ttl_ms,
                             const Clock& clock);

// A token decoded WITHOUT checking its signature or times (for `ssectl token
// inspect`): never trust it for access decisions.
struct DecodedJwt {
  std::string header_json;   // as in the token
  std::string payload_json;  // as in the token
  std::string algorithm;     // the header's alg, "" when absent
  Identity identity;         // best effort: claims of the wrong type are left out
};
// Fails only when the token is not three base64url parts of JSON objects.
Result<DecodedJwt> decode_jwt_unverified(std::string_view token);

}  // namespace sse
