#include "sse/auth/authenticator.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "sse/auth/demo_token.hpp"
#include "sse/util/ascii.hpp"

namespace sse {
namespace {

bool is_jwt_shaped(std::string_view token) {
  return std::count(token.begin(), token.end(), '.') == 2;
}

bool is_http_whitespace(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_http_whitespace(std::string_view text) {
  while (!text.empty() && is_http_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_http_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

std::atomic<uint64_t> next_generation{1};

// The tokens this thread saw pass, for one authenticator at a time.
struct Remembered {
  uint64_t generation = 0;
  std::unordered_map<std::string, std::shared_ptr<const Identity>, StringViewHash, std::equal_to<>>
      identities;
};

Remembered& remembered_for(uint64_t generation) {
  thread_local Remembered remembered;
  if (remembered.generation != generation) {
    remembered.identities.clear();
    remembered.generation = generation;
  }
  return remembered;
}

}  // namespace

Authenticator::Authenticator(AuthOptions settings, const Clock& clock)
    : demo_tokens_(settings.demo_tokens),
      jwt_(std::move(settings.jwt), clock, settings.jwt_leeway_ms),
      clock_(clock),
      generation_(next_generation.fetch_add(1)) {}

Result<Identity> Authenticator::authenticate(std::string_view token) const {
  auto shared = authenticate_shared(token);
  if (!shared) return shared.error();
  return **shared;
}

Result<std::shared_ptr<const Identity>> Authenticator::authenticate_shared(
    std::string_view token) const {
  if (token.empty()) return Error::unauthenticated("missing token");
  if (token.size() > kMaxTokenBytes) return Error::unauthenticated("token too long");
  Remembered& remembered = remembered_for(generation_);
  if (auto it = remembered.identities.find(token); it != remembered.identities.end()) {
    const Identity& known = *it->second;
    if (!known.expires_at_ms || clock_.now_ms() < *known.expires_at_ms) return it->second;
    remembered.identities.erase(it);  // expired: verify() says so, with its message
  }
  auto identity = verify(token);
  if (!identity) return identity.error();
  auto shared = std::make_shared<const Identity>(std::move(*identity));
  if (remembered.identities.size() >= kRememberedPerThread) remembered.identities.clear();
  remembered.identities.emplace(std::string(token), shared);
  return shared;
}

Result<Identity> Authenticator::verify(std::string_view token) const {
  if (is_jwt_shaped(token)) {
    if (!jwt_.enabled()) return Error::unauthenticated("JWT is not configured");
    return jwt_.verify(token);
  }
  if (!demo_tokens_) return Error::unauthenticated("demo tokens are disabled");
  return decode_demo_token(token);
}

std::optional<std::string_view> bearer_token(std::string_view authorization_header) {
  constexpr std::string_view kScheme = "Bearer";
  const std::string_view header = trim_http_whitespace(authorization_header);
  if (header.size() < kScheme.size() || !ascii_iequals(header.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  const std::string_view rest = header.substr(kScheme.size());
  // RFC 6750 2.1: "Bearer" 1*SP b64token; "Bearerabc" is another scheme.
  if (!rest.empty() && !is_http_whitespace(rest.front())) return std::nullopt;
  return trim_http_whitespace(rest);
}

}  // namespace sse
