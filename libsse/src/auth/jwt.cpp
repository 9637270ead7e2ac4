#include "sse/auth/jwt.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>  // the BASE64_* options
#include <Poco/Crypto/DigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <fmt/format.h>

namespace sse {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

constexpr std::string_view kHs256 = "HS256";
constexpr std::string_view kRs256 = "RS256";
// NumericDates beyond this (year ~33658) are garbage, and would overflow as ms.
constexpr double kMaxNumericDateSeconds = 1e12;

// SHA-256 through OpenSSL, shaped the way Poco::HMACEngine wants it.
class Sha256Engine : public Poco::Crypto::DigestEngine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::Crypto::DigestEngine("SHA256") {}
};

struct TokenParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

struct ParsedToken {
  TokenParts parts;
  std::string header_json;
  std::string payload_json;
  Object::Ptr payload;
  std::string algorithm;  // "" when the header has no string alg
};

// RFC 7515 7.1 (JWS compact serialization): exactly three parts joined by '.'.
std::optional<TokenParts> split_token(std::string_view token) {
  const size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return TokenParts{token.substr(0, first), token.substr(first + 1, second - first - 1),
                    token.substr(second + 1)};
}

// RFC 7515 2: base64url without padding. A length of 4n+1 cannot encode bytes.
bool is_base64url(std::string_view text) {
  const bool alphabet_only = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
  return alphabet_only && text.size() % 4 != 1;
}

std::optional<std::string> decode_base64url(std::string_view text) {
  if (!is_base64url(text)) return std::nullopt;
  try {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<Object::Ptr> parse_object(const std::string& json, std::string_view part) {
  try {
    Poco::JSON::Parser parser;
    const Var value = parser.parse(json);
    if (value.type() == typeid(Object::Ptr)) return value.extract<Object::Ptr>();
  } catch (const std::exception&) {
  }
  return Error::unauthenticated(fmt::format("malformed token: the {} is not a JSON object", part));
}

Result<ParsedToken> parse_token(std::string_view token) {
  const std::optional<TokenParts> parts = split_token(token);
  if (!parts) return Error::unauthenticated("malformed token: expected three '.'-separated parts");
  std::optional<std::string> header_json = decode_base64url(parts->header);
  if (!header_json) return Error::unauthenticated("malformed token: the header is not base64url");
  std::optional<std::string> payload_json = decode_base64url(parts->payload);
  if (!payload_json) return Error::unauthenticated("malformed token: the payload is not base64url");
  Result<Object::Ptr> header = parse_object(*header_json, "header");
  if (!header) return header.error();
  Result<Object::Ptr> payload = parse_object(*payload_json, "payload");
  if (!payload) return payload.error();

  ParsedToken parsed{*parts, std::move(*header_json), std::move(*payload_json), *payload, ""};
  const Var alg = (*header)->get("alg");
  if (alg.isString()) parsed.algorithm = alg.convert<std::string>();
  return parsed;
}

// The alg comes from the attacker: echo it only when it is short and printable.
std::string unsupported_algorithm(const std::string& alg) {
  const bool printable = alg.size() <= 32 && std::all_of(alg.begin(), alg.end(), [](char c) {
                           return c >= 0x20 && c < 0x7f && c != '\'';
                         });
  return printable ? fmt::format("unsupported algorithm '{}'", alg) : "unsupported algorithm";
}

bool constant_time_equal(const std::vector<unsigned char>& a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}

// Our own HS256 check rather than Signer::tryVerify: Poco compares the MACs with
// operator==, which leaks through timing how many leading bytes were right.
bool hs256_signature_ok(const std::string& secret, const TokenParts& parts) {
  const std::optional<std::string> signature = decode_base64url(parts.signature);
  if (!signature) return false;
  Poco::HMACEngine<Sha256Engine> hmac(secret);
  hmac.update(parts.header.data(), parts.header.size());
  hmac.update('.');
  hmac.update(parts.payload.data(), parts.payload.size());
  return constant_time_equal(hmac.digest(), *signature);
}

bool rs256_signature_ok(const Poco::JWT::Signer& signer, std::string_view token) {
  try {
    Poco::JWT::Token verified;
    return signer.tryVerify(std::string(token), verified);
  } catch (const std::exception&) {  // e.g. a signature that is not base64url
    return false;
  }
}

Result<Poco::SharedPtr<Poco::Crypto::RSAKey>> load_rsa_key(const std::string& pem,
                                                           bool is_private) {
  const char* kind = is_private ? "private" : "public";
  try {
    std::istringstream in(pem);
    return Poco::SharedPtr<Poco::Crypto::RSAKey>(is_private ? new Poco::Crypto::RSAKey(nullptr, &in)
                                                            : new Poco::Crypto::RSAKey(&in));
  } catch (const Poco::Exception& e) {
    return Error::invalid_argument(
        fmt::format("cannot read the RSA {} key (PEM): {}", kind, e.displayText()));
  } catch (const std::exception& e) {
    return Error::invalid_argument(
        fmt::format("cannot read the RSA {} key (PEM): {}", kind, e.what()));
  }
}

std::optional<std::string> string_claim(const Object& claims, const std::string& name) {
  const Var value = claims.get(name);
  if (!value.isString()) return std::nullopt;
  return value.convert<std::string>();
}

// "user, admin" -> {"user", "admin"}; empty entries are dropped.
std::vector<std::string> split_roles(std::string_view text) {
  std::vector<std::string> roles;
  while (!text.empty()) {
    const size_t comma = std::min(text.find(','), text.size());
    std::string_view role = text.substr(0, comma);
    text.remove_prefix(std::min(comma + 1, text.size()));
    while (!role.empty() && std::isspace(static_cast<unsigned char>(role.front()))) {
      role.remove_prefix(1);
    }
    while (!role.empty() && std::isspace(static_cast<unsigned char>(role.back()))) {
      role.remove_suffix(1);
    }
    if (!role.empty()) roles.emplace_back(role);
  }
  return roles;
}

// roles: a JSON array of strings or a comma-separated string; absent or null: none.
std::optional<std::vector<std::string>> roles_claim(const Object& claims) {
  const Var value = claims.get("roles");
  if (value.isEmpty()) return std::vector<std::string>{};
  if (value.isString()) return split_roles(value.convert<std::string>());
  if (value.type() != typeid(Poco::JSON::Array::Ptr)) return std::nullopt;
  std::vector<std::string> roles;
  for (const Var& role : *value.extract<Poco::JSON::Array::Ptr>()) {
    if (!role.isString()) return std::nullopt;
    roles.push_back(role.convert<std::string>());
  }
  return roles;
}

// RFC 7519 2: a NumericDate is seconds since the epoch, possibly fractional.
Result<std::optional<int64_t>> numeric_date_ms(const Object& claims, const std::string& name) {
  const Var value = claims.get(name);
  if (value.isEmpty()) return std::optional<int64_t>();
  if (!value.isNumeric() || value.isBoolean()) {
    return Error::unauthenticated(fmt::format("invalid {} claim: expected seconds since the epoch", name));
  }
  const double seconds = value.convert<double>();
  if (!std::isfinite(seconds) || std::fabs(seconds) > kMaxNumericDateSeconds) {
    return Error::unauthenticated(fmt::format("invalid {} claim: out of range", name));
  }
  return std::optional<int64_t>(std::llround(seconds * 1000.0));
}

// Fills every field the claims allow; returns the first claim of the wrong
// type, if any (the field is then left empty).
Status read_identity(const Object& claims, Identity& identity) {
  Status status;
  identity.user_id = string_claim(claims, "sub").value_or("");
  std::optional<std::string> name = string_claim(claims, "name");
  if (!name || name->empty()) name = string_claim(claims, "preferred_username");
  identity.username = name && !name->empty() ? *name : identity.user_id;
  identity.email = string_claim(claims, "email").value_or("");
  if (std::optional<std::vector<std::string>> roles = roles_claim(claims)) {
    identity.roles = std::move(*roles);
  } else {
    status =
        Error::unauthenticated("invalid roles claim: expected an array of strings or a comma-separated string");
  }
  if (Result<std::optional<int64_t>> exp = numeric_date_ms(claims, "exp")) {
    identity.expires_at_ms = *exp;
  } else if (status) {
    status = exp.error();
  }
  return status;
}

}  // namespace

JwtVerifier::JwtVerifier(JwtKeys keys, const Clock& clock, int64_t leeway_ms)
    : hs256_secret_(std::move(keys.hs256_secret)),
      rs256_configured_(!keys.rs256_public_pem.empty()),
      clock_(&clock),
      leeway_ms_(std::max<int64_t>(0, leeway_ms)) {
  if (!rs256_configured_) return;
  Result<Poco::SharedPtr<Poco::Crypto::RSAKey>> key = load_rsa_key(keys.rs256_public_pem, false);
  if (!key) {
    key_status_ = key.error();
    return;
  }
  rs256_signer_ = std::make_unique<Poco::JWT::Signer>(*key);
  // Replaces the Signer's default {HS256}: this signer only ever checks RS256.
  rs256_signer_->setAlgorithms({Poco::JWT::Signer::ALGO_RS256});
}

JwtVerifier::~JwtVerifier() = default;
JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;

bool JwtVerifier::enabled() const { return !hs256_secret_.empty() || rs256_configured_; }

Result<Identity> JwtVerifier::verify(std::string_view token) const {
  Result<ParsedToken> parsed = parse_token(token);
  if (!parsed) return parsed.error();
  const std::string& alg = parsed->algorithm;
  if (alg.empty()) return Error::unauthenticated("malformed token: the header has no alg");

  // The alg picks the key, and each key serves one algorithm only: an RS256
  // public key is never tried as an HMAC secret, and "none" is never accepted.
  if (alg == kHs256) {
    if (hs256_secret_.empty()) return Error::unauthenticated("algorithm HS256 is not configured");
    if (!hs256_signature_ok(hs256_secret_, parsed->parts)) return Error::unauthenticated("bad signature");
  } else if (alg == kRs256) {
    if (!rs256_configured_) return Error::unauthenticated("algorithm RS256 is not configured");
    if (!rs256_signer_) return Error::unauthenticated("RS256 public key could not be loaded");
    if (!rs256_signature_ok(*rs256_signer_, token)) return Error::unauthenticated("bad signature");
  } else {
    return Error::unauthenticated(unsupported_algorithm(alg));
  }

  const Object& claims = *parsed->payload;
  Identity identity;
  if (Status s = read_identity(claims, identity); !s) return s.error();
  Result<std::optional<int64_t>> not_before_ms = numeric_date_ms(claims, "nbf");
  if (!not_before_ms) return not_before_ms.error();

  // RFC 7519 4.1.4 / 4.1.5, with leeway for clock skew.
  const int64_t now_ms = clock_->now_ms();
  if (identity.expires_at_ms && now_ms >= *identity.expires_at_ms + leeway_ms_) {
    return Error::unauthenticated("token expired");
  }
  if (*not_before_ms && now_ms + leeway_ms_ < **not_before_ms) {
    return Error::unauthenticated("token not yet valid");
  }
  const Var sub = claims.get("sub");
  if (sub.isEmpty() || (sub.isString() && identity.user_id.empty())) {
    return Error::unauthenticated("missing sub claim");
  }
  if (!sub.isString()) return Error::unauthenticated("invalid sub claim: expected a string");
  return identity;
}

Result<std::string> sign_jwt(const Identity& identity, const JwtSigningKey& key, int64_t ttl_ms,
                             const Clock& clock) {
  const bool use_hs256 = !key.hs256_secret.empty();
  const bool use_rs256 = !key.rs256_private_pem.empty();
  if (use_hs256 && use_rs256) {
    return Error::invalid_argument("give either an HS256 secret or an RS256 private key, not both");
  }
  if (!use_hs256 && !use_rs256) {
    return Error::invalid_argument("no signing key: give an HS256 secret or an RS256 private key");
  }
  if (identity.user_id.empty()) {
    return Error::invalid_argument("cannot sign a token without a user id (sub)");
  }
  // exp is written in whole seconds, rounded down: under 1 s it could be already past.
  if (ttl_ms < 1000) return Error::invalid_argument("token lifetime must be at least 1 second");

  Poco::JWT::Token token;
  token.setType("JWT");
  Object& claims = token.payload();
  claims.set("sub", identity.user_id);
  claims.set("name", identity.username);
  claims.set("email", identity.email);
  Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
  for (const std::string& role : identity.roles) roles->add(role);
  claims.set("roles", roles);
  // Integers, not Token::setExpiration(): Poco 1.11 writes that as a fraction.
  const int64_t now_ms = clock.now_ms();
  claims.set("iat", Poco::Int64{now_ms / 1000});
  claims.set("exp", Poco::Int64{(now_ms + ttl_ms) / 1000});

  try {
    if (use_hs256) {
      Poco::JWT::Signer signer(key.hs256_secret);
      return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
    }
    Result<Poco::SharedPtr<Poco::Crypto::RSAKey>> rsa = load_rsa_key(key.rs256_private_pem, true);
    if (!rsa) return rsa.error();
    Poco::JWT::Signer signer(*rsa);
    return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
  } catch (const Poco::Exception& e) {
    return Error::internal(fmt::format("cannot sign the token: {}", e.displayText()));
  }
}

Result<DecodedJwt> decode_jwt_unverified(std::string_view token) {
  Result<ParsedToken> parsed = parse_token(token);
  if (!parsed) return parsed.error();
  DecodedJwt decoded{std::move(parsed->header_json), std::move(parsed->payload_json),
                     parsed->algorithm, Identity{}};
  // Best effort: inspection shows what is there, even when a claim is malformed.
  (void)read_identity(*parsed->payload, decoded.identity);
  return decoded;
}

}  // namespace sse
