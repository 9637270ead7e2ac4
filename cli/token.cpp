// ssectl token demo|jwt|inspect: make and read tokens locally (no server).
// Only the token goes to stdout, so T=$(ssectl token …) works.

#include <fmt/format.h>

#include "commands.hpp"
#include "sse/auth/demo_token.hpp"
#include "sse/auth/jwt.hpp"
#include "sse/config/duration.hpp"
#include "sse/util/json.hpp"
#include "sse/util/time_format.hpp"

namespace sse::cli {
namespace {

struct TokenFlags {
  std::string user_id, username, email;
  std::vector<std::string> roles;
  std::string secret_file, private_key, public_key;
  std::string ttl = "1h";
  std::string token;
};

Identity identity_from(const TokenFlags& flags) {
  Identity identity;
  identity.user_id = flags.user_id;
  identity.username = flags.username;
  identity.email = flags.email;
  identity.roles = flags.roles;
  return identity;
}

// A secret file is configuration, like --token-file: missing, unreadable or
// empty exits kExitConfig.
std::string read_secret(const std::string& path) {
  std::string secret = read_file_or_fail(path, "the secret file (--secret-file)", kExitConfig);
  // As sse-server reads auth.jwt_secret_file: trailing line ends do not count.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    fail(kExitConfig, fmt::format("the secret file '{}' (--secret-file) is empty", path));
  }
  return secret;
}

// Every endpoint that needs a token wants the role user or admin
// (exchange.cpp); a token with neither is made, but the user is told.
void warn_if_no_usable_role(const Context& ctx, const Identity& identity) {
  if (identity.has_role("user") || identity.is_admin()) return;
  ctx.out().warn(
      "a token without the user or admin role is refused by every endpoint that needs a token");
}

int run_demo(Context& ctx, const TokenFlags& flags) {
  const Identity identity = identity_from(flags);
  if (auto valid = validate_demo_identity(identity); !valid) {
    fail(kExitBadInput, fmt::format("cannot make a demo token: {}", valid.message()));
  }
  warn_if_no_usable_role(ctx, identity);
  ctx.out().print(encode_demo_token(identity));
  return kExitOk;
}

int run_jwt(Context& ctx, const TokenFlags& flags) {
  if (flags.secret_file.empty() == flags.private_key.empty()) {
    fail(kExitUsage, "give exactly one of --secret-file (HS256) or --private-key (RS256)");
  }
  auto ttl = parse_duration(flags.ttl);
  if (!ttl) fail(kExitUsage, fmt::format("--ttl: {}", ttl.message()));
  JwtSigningKey key;
  if (!flags.secret_file.empty()) {
    key.hs256_secret = read_secret(flags.secret_file);
  } else {
    key.rs256_private_pem = read_file_or_fail(flags.private_key, "the private key", kExitConfig);
  }
  const Identity identity = identity_from(flags);
  auto token = sign_jwt(identity, key, ttl->count(), SystemClock::instance());
  if (!token) fail(kExitBadInput, fmt::format("cannot sign the token: {}", token.message()));
  warn_if_no_usable_role(ctx, identity);
  ctx.out().print(*token);
  return kExitOk;
}

struct Inspection {
  std::string kind;  // "demo" or "jwt"
  std::string algorithm;
  Identity identity;
  std::string header_json = "null", payload_json = "null";
  std::optional<bool> verified;  // nullopt: not checked
  std::string problem;           // why it is not valid
};

Inspection inspect(const std::string& token, const TokenFlags& flags) {
  Inspection result;
  if (std::count(token.begin(), token.end(), '.') != 2) {
    auto identity = decode_demo_token(token);
    if (!identity) {
      fail(kExitBadInput, fmt::format("not a JWT (three dot-separated parts) nor a demo token: {}",
                                      identity.message()));
    }
    result.kind = "demo";
    result.identity = *identity;
    return result;
  }
  auto decoded = decode_jwt_unverified(token);
  if (!decoded) fail(kExitBadInput, fmt::format("cannot decode the JWT: {}", decoded.message()));
  result.kind = "jwt";
  result.algorithm = decoded->algorithm;
  result.identity = decoded->identity;
  result.header_json = decoded->header_json;
  result.payload_json = decoded->payload_json;
  if (flags.secret_file.empty() && flags.public_key.empty()) return result;
  JwtKeys keys;
  if (!flags.secret_file.empty()) keys.hs256_secret = read_secret(flags.secret_file);
  if (!flags.public_key.empty()) {
    keys.rs256_public_pem = read_file_or_fail(flags.public_key, "the public key", kExitConfig);
  }
  JwtVerifier verifier(keys, SystemClock::instance());
  if (!verifier.key_status().ok()) {
    fail(kExitBadInput,
         fmt::format("cannot use the public key: {}", verifier.key_status().message()));
  }
  auto verified = verifier.verify(token);
  result.verified = verified.ok();
  if (verified) {
    result.identity = *verified;
  } else {
    result.problem = verified.message();
  }
  return result;
}

std::string expiry_text(const Identity& identity) {
  if (!identity.expires_at_ms) return "never";
  const int64_t left_s = (*identity.expires_at_ms - SystemClock::instance().now_ms()) / 1000;
  const std::string when = format_iso8601_ms(*identity.expires_at_ms);
  if (left_s <= 0) return fmt::format("{} (expired)", when);
  return fmt::format("{} (in {})", when, format_duration(std::chrono::seconds(left_s)));
}

void print_inspection(const Context& ctx, const Inspection& r) {
  const Identity& id = r.identity;
  if (ctx.out().format() != OutputFormat::kText) {
    std::vector<std::string> roles;
    for (const auto& role : id.roles) roles.push_back(json_quote(role));
    ctx.out().print(fmt::format(
        R"({{"kind":"{}","algorithm":{},"userId":{},"username":{},"email":{},"roles":[{}],"expiresAt":{},"verified":{},"problem":{},"header":{},"payload":{}}})",
        r.kind, r.algorithm.empty() ? "null" : json_quote(r.algorithm), json_quote(id.user_id),
        json_quote(id.username), json_quote(id.email), fmt::join(roles, ","),
        id.expires_at_ms ? json_quote(format_iso8601_ms(*id.expires_at_ms)) : "null",
        r.verified ? (*r.verified ? "true" : "false") : "null",
        r.problem.empty() ? "null" : json_quote(r.problem), r.header_json, r.payload_json));
    return;
  }
  std::string signature;
  if (r.kind == "demo") {
    signature = "none (demo tokens are unsigned)";
  } else if (!r.verified) {
    signature = "not checked (give --secret-file or --public-key)";
  } else {
    signature = *r.verified ? "valid" : "INVALID: " + r.problem;
  }
  const std::string kind =
      r.algorithm.empty() ? r.kind : fmt::format("{} ({})", r.kind, r.algorithm);
  ctx.out().print(fmt::format("kind:      {}", kind));
  ctx.out().print(fmt::format("user id:   {}", id.user_id));
  ctx.out().print(fmt::format("username:  {}", id.username));
  ctx.out().print(fmt::format("email:     {}", id.email));
  ctx.out().print(fmt::format("roles:     {}", fmt::join(id.roles, ", ")));
  ctx.out().print(fmt::format("expires:   {}", expiry_text(id)));
  ctx.out().print(fmt::format("signature: {}", signature));
}

int run_inspect(Context& ctx, const TokenFlags& flags) {
  std::string token = flags.token;
  if (token == "-") token = trim_trailing_newlines(ctx.read_stdin("TOKEN (-)"));
  const bool key_given = !flags.secret_file.empty() || !flags.public_key.empty();
  const Inspection result = inspect(token, flags);
  if (result.kind == "demo" && key_given)
    ctx.out().warn("demo tokens are unsigned: there is nothing to verify");
  print_inspection(ctx, result);
  if (result.verified && !*result.verified) {
    fail(kExitAuth, fmt::format("the token would be refused: {}", result.problem));
  }
  return kExitOk;
}

void add_identity_options(CLI::App& sub, TokenFlags& flags) {
  sub.add_option("--user-id", flags.user_id, "user id (sub)")->required()->type_name("ID");
  sub.add_option("--username", flags.username, "user name")->type_name("NAME");
  sub.add_option("--email", flags.email, "email address")->type_name("EMAIL");
  sub.add_option("--roles", flags.roles, "roles, comma-separated or repeated (user, admin)")
      ->required()
      ->delimiter(',')
      ->type_name("R1,R2");
}

}  // namespace

void add_token_commands(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<TokenFlags>();
  auto* token = app.add_subcommand("token", "make or inspect tokens (offline)");
  token->require_subcommand(1);

  auto* demo = token->add_subcommand("demo", "print a demo token (base64 of id:name:email:roles)");
  add_identity_options(*demo, *flags);
  demo->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_demo(ctx, *flags); }; });

  auto* jwt = token->add_subcommand("jwt", "print a signed JWT (HS256 or RS256)");
  jwt->add_option("--secret-file", flags->secret_file, "HS256 shared secret file")
      ->type_name("FILE");
  jwt->add_option("--private-key", flags->private_key, "RS256 private key (PEM)")
      ->type_name("FILE");
  add_identity_options(*jwt, *flags);
  jwt->add_option("--ttl", flags->ttl, "lifetime, e.g. 15m, 1h (default 1h)")->type_name("DUR");
  jwt->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_jwt(ctx, *flags); }; });

  auto* inspect_cmd = token->add_subcommand("inspect", "decode a token; verify it given the key");
  inspect_cmd->add_option("TOKEN", flags->token, "the token, or - to read it from stdin")
      ->required();
  inspect_cmd->add_option("--secret-file", flags->secret_file, "verify with this HS256 secret")
      ->type_name("FILE");
  inspect_cmd
      ->add_option("--public-key", flags->public_key, "verify with this RS256 public key (PEM)")
      ->type_name("FILE");
  inspect_cmd->callback(
      [&ctx, flags] { ctx.action = [&ctx, flags] { return run_inspect(ctx, *flags); }; });
}

}  // namespace sse::cli
