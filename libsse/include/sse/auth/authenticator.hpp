#pragma once

// Turns the token a request carries (Authorization: Bearer, or ?token=) into an
// Identity. What the server uses on every stream open and POST.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sse/auth/identity.hpp"
#include "sse/auth/jwt.hpp"
#include "sse/util/clock.hpp"
#include "sse/util/result.hpp"

namespace sse {

struct AuthOptions {
  bool demo_tokens = true;
  JwtKeys jwt;  // no key: JWTs are rejected
  int64_t jwt_leeway_ms = 0;
};

// Immutable after construction; authenticate() is safe to call from many
// threads at once. `clock` must outlive the authenticator.
class Authenticator {
 public:
  Authenticator(AuthOptions settings, const Clock& clock);

  // A token with exactly two '.' is a JWT (rejected "JWT is not configured"
  // when no JWT key is set); anything else is a demo token (rejected "demo
  // tokens are disabled" when they are off). "" -> "missing token"; a token
  // over kMaxTokenBytes -> "token too long". Error messages never contain the
  // token. A token that passed is remembered (per thread, a bounded number)
  // until its expiry: a client that sends the same token with every request
  // is decoded and verified once, not every time.
  Result<Identity> authenticate(std::string_view token) const;
  // The same, without a copy: the remembered identity itself, shared (it
  // stays valid however long it is held).
  Result<std::shared_ptr<const Identity>> authenticate_shared(std::string_view token) const;

  // Ok, or why a configured JWT key is unusable (refuse to start on it).
  const Status& key_status() const { return jwt_.key_status(); }
  bool demo_tokens_enabled() const { return demo_tokens_; }
  bool jwt_enabled() const { return jwt_.enabled(); }

  static constexpr size_t kMaxTokenBytes = 16 * 1024;
  static constexpr size_t kRememberedPerThread = 512;

 private:
  Result<Identity> verify(std::string_view token) const;

  bool demo_tokens_;
  JwtVerifier jwt_;
  const Clock& clock_;
  const uint64_t generation_;  // tells this authenticator's remembered tokens apart
};

// The token of an "Authorization: Bearer <token>" header value (RFC 6750 2.1;
// the scheme is case-insensitive, surrounding whitespace is ignored). "" when
// the header is "Bearer" alone; nullopt when it is not a bearer header. The
// view is into `authorization_header`.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

}  // namespace sse
