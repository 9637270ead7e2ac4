// End-to-end, hostile tokens: forged, tampered, expired, not yet valid,
// `alg: none`, `alg: HS512`, and an RS256 public key used as an HS256 secret,
// against a server with an HS256 secret and one with an RS256 public key. On
// every stream and POST: 401 with a reason and WWW-Authenticate, never a
// stream byte or a 202.

#include <fstream>
#include <sstream>

#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <catch2/catch.hpp>

#include "hostile_helpers.hpp"
#include "support/markers.hpp"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "hostile-auth-test-secret-long-enough-for-hs256";
const std::string kKeys = std::string(SSE_SOURCE_DIR) + "/tests/fixtures/keys/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Claims for an admin `sub`; `exp` is JSON (default: ten minutes from now).
std::string claims(const std::string& sub, std::string exp = "", const std::string& extra = "") {
  if (exp.empty()) exp = std::to_string(epoch_seconds() + 600);
  return R"({"sub":")" + sub + R"(","name":")" + sub + R"(","roles":["user","admin"],"exp":)" +
         exp + extra + "}";
}

const std::string kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

std::string rs256_jwt(const std::string& private_pem_file, const std::string& sub,
                      long long exp_offset_s, long long nbf_offset_s = 0) {
  std::istringstream pem(read_file(private_pem_file));
  Poco::SharedPtr<Poco::Crypto::RSAKey> key(new Poco::Crypto::RSAKey(nullptr, &pem));
  Poco::JWT::Token token;
  token.setType("JWT");
  token.payload().set("sub", sub);
  token.payload().set("roles", "user,admin");
  token.payload().set("exp", Poco::Int64{epoch_seconds() + exp_offset_s});
  if (nbf_offset_s != 0) token.payload().set("nbf", Poco::Int64{epoch_seconds() + nbf_offset_s});
  Poco::JWT::Signer signer(key);
  return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
}

struct BadToken {
  std::string what;
  std::string token;
  std::string reason;  // expected in the error message
};

// Every door a token opens: three streams, two POSTs and the admin view, by
// header and by query parameter. None may open.
void expect_refused_everywhere(ServerProcess& server, const BadToken& bad) {
  INFO(bad.what << ": " << bad.token.substr(0, 120));
  const std::vector<std::string> streams = {"/notifications/stream", "/realtime/stream",
                                            "/chat/stream?room=ops"};
  for (const auto& path : streams) {
    const std::string by_query =
        path + (path.find('?') == std::string::npos ? "?" : "&") + "token=" + bad.token;
    for (bool in_header : {false, true}) {
      auto stream =
          in_header ? std::make_unique<SseClient>(server.port(), path,
                                                  Headers{{"Authorization", "Bearer " + bad.token}})
                    : std::make_unique<SseClient>(server.port(), by_query);
      INFO(path << (in_header ? " (header)" : " (query)"));
      CHECK(stream->status() == 401);
      CHECK(stream->header("WWW-Authenticate").rfind("Bearer", 0) == 0);
      CHECK(stream->body().find(bad.reason) != std::string::npos);
      CHECK(stream->body().find("retry:") == std::string::npos);
    }
  }
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/notifications/send", R"({"title":"t","message":"m","type":"system"})"},
           {"/chat/send", R"({"roomId":"ops","message":"m"})"},
           {"/system/maintenance", R"({"message":"m"})"}}) {
    auto r = post_json(server.port(), target, bad.token, body);
    INFO(target);
    expect_error(r, 401, "unauthorized");
    CHECK(r.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
    CHECK(r.body.find(bad.reason) != std::string::npos);
  }
  auto admin = http(server.port(), "GET", "/admin/connections?token=" + bad.token);
  expect_error(admin, 401, "unauthorized");
}

// Nothing a bad token tried reached anyone: before a marker on each, the
// status stream saw no maintenance, the ops room and the admin's
// notification stream nothing at all.
struct Bystanders {
  Bystanders(int port, const std::string& admin_token, std::string admin_id)
      : port(port),
        admin_id(std::move(admin_id)),
        status(port, "/system/status/stream"),
        ops(port, "/chat/stream?room=ops&token=" + admin_token),
        notes(port, "/notifications/stream?token=" + admin_token) {
    REQUIRE(status.status() == 200);
    REQUIRE(ops.wait_for_events(1));  // its own user-joined
    REQUIRE(notes.status() == 200);
  }
  void expect_quiet() {
    const auto in_status = status.wait_for_id(mark_status(port));
    REQUIRE(in_status.has_value());
    for (const auto& e : events_before(status, *in_status)) CHECK(e.type != "maintenance");
    const auto in_ops = ops.wait_for_id(mark_chat(port, "ops"));
    REQUIRE(in_ops.has_value());
    CHECK(types_before(ops, *in_ops) == std::vector<std::string>{"user-joined"});
    const auto in_notes = notes.wait_for_id(mark_notification(port, admin_id));
    REQUIRE(in_notes.has_value());
    CHECK(events_before(notes, *in_notes).empty());
  }
  int port;
  std::string admin_id;
  SseClient status, ops, notes;
};

}  // namespace

TEST_CASE("HS256 server: forged, tampered, expired, early, none and HS512 tokens get 401",
          "[hostile][auth]") {
  ServerProcess server({{"SSE_AUTH_JWT_SECRET", kSecret}, {"SSE_LIMITS_STATUS_INTERVAL", "1h"}});
  // The control: a good token opens streams and publishes.
  const std::string good = hmac_jwt(kHs256Header, claims("root"), kSecret);
  Bystanders bystanders(server.port(), good, "root");
  SseClient works(server.port(), "/realtime/stream?token=" + good);
  REQUIRE(works.status() == 200);

  const std::string good_body = good.substr(good.find('.') + 1);
  const std::string good_payload = good_body.substr(0, good_body.find('.'));
  const std::string good_signature = good.substr(good.rfind('.') + 1);
  const long long now = epoch_seconds();
  const std::vector<BadToken> bad = {
      {"signed with another secret", hmac_jwt(kHs256Header, claims("root"), kSecret + "x"),
       "bad signature"},
      {"payload swapped, signature kept",
       base64url(kHs256Header) + "." + base64url(claims("someone-else")) + "." + good_signature,
       "bad signature"},
      {"signature removed", good.substr(0, good.rfind('.') + 1), "bad signature"},
      {"expired", hmac_jwt(kHs256Header, claims("root", std::to_string(now - 60)), kSecret),
       "expired"},
      {"expired long ago", hmac_jwt(kHs256Header, claims("root", "1"), kSecret), "expired"},
      {"not yet valid",
       hmac_jwt(kHs256Header, claims("root", "", R"(,"nbf":)" + std::to_string(now + 600)),
                kSecret),
       "not yet valid"},
      {"alg none, no signature",
       base64url(R"({"alg":"none","typ":"JWT"})") + "." + good_payload + ".",
       "unsupported algorithm 'none'"},
      {"alg none, signature kept",
       base64url(R"({"alg":"none","typ":"JWT"})") + "." + good_payload + "." + good_signature,
       "unsupported algorithm 'none'"},
      {"alg NONE", base64url(R"({"alg":"NONE"})") + "." + good_payload + ".",
       "unsupported algorithm"},
      {"alg HS512 with the right secret",
       hmac_jwt<Sha512Engine>(R"({"alg":"HS512","typ":"JWT"})", claims("root"), kSecret),
       "unsupported algorithm 'HS512'"},
      {"alg RS256 on an HS256-only server",
       hmac_jwt(R"({"alg":"RS256","typ":"JWT"})", claims("root"), kSecret), "RS256"},
      {"no alg", hmac_jwt(R"({"typ":"JWT"})", claims("root"), kSecret), "no alg"},
      {"alg not a string", hmac_jwt(R"({"alg":256})", claims("root"), kSecret), "alg"},
      {"no sub", hmac_jwt(kHs256Header, R"({"exp":)" + std::to_string(now + 600) + "}", kSecret),
       "sub"},
      {"exp not a number", hmac_jwt(kHs256Header, claims("root", R"("never")"), kSecret), "exp"},
      {"exp absurd", hmac_jwt(kHs256Header, claims("root", "1e300"), kSecret), "exp"},
      {"header not JSON", base64url("not json") + "." + good_payload + "." + good_signature,
       "malformed"},
      {"not base64url", "a+b/c.d=e.f", "malformed"},
      {"empty parts", "..", "malformed"},
  };
  for (const auto& token : bad) expect_refused_everywhere(server, token);
  bystanders.expect_quiet();
  // The good token still works after all that.
  auto published = post_json(server.port(), "/realtime/update", good,
                             R"({"entityType":"t","entityId":"1","action":"create","data":{}})");
  REQUIRE(published.status == 202);
  CHECK(works.wait_for_id(json_string(published.body, "id")).has_value());
  expect_still_serving(server.port());
}

TEST_CASE("RS256 server: other keys, the public key as an HS256 secret, and none get 401",
          "[hostile][auth]") {
  const std::string public_pem_file = kKeys + "rs256_public.pem";
  ServerProcess server(
      {{"SSE_AUTH_JWT_PUBLIC_KEY_FILE", public_pem_file}, {"SSE_LIMITS_STATUS_INTERVAL", "1h"}});
  const std::string good = rs256_jwt(kKeys + "rs256_private.pem", "root", 600);
  Bystanders bystanders(server.port(), good, "root");
  SseClient works(server.port(), "/notifications/stream?token=" + good);
  REQUIRE(works.status() == 200);

  const std::string public_pem = read_file(public_pem_file);
  std::string trimmed = public_pem;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  const std::string good_payload =
      good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const std::vector<BadToken> bad = {
      {"signed by another private key", rs256_jwt(kKeys + "other_private.pem", "root", 600),
       "bad signature"},
      {"public key as HS256 secret", hmac_jwt(kHs256Header, claims("root"), public_pem), "HS256"},
      {"public key, trimmed, as HS256 secret", hmac_jwt(kHs256Header, claims("root"), trimmed),
       "HS256"},
      {"public key as HS512 secret",
       hmac_jwt<Sha512Engine>(R"({"alg":"HS512"})", claims("root"), public_pem),
       "unsupported algorithm"},
      {"expired", rs256_jwt(kKeys + "rs256_private.pem", "root", -60), "expired"},
      {"not yet valid", rs256_jwt(kKeys + "rs256_private.pem", "root", 600, 600), "not yet valid"},
      {"alg none", base64url(R"({"alg":"none"})") + "." + good_payload + ".",
       "unsupported algorithm 'none'"},
      {"RS256 header, signature garbage",
       base64url(R"({"alg":"RS256"})") + "." + good_payload + "." + base64url("garbage"),
       "bad signature"},
  };
  for (const auto& token : bad) expect_refused_everywhere(server, token);
  bystanders.expect_quiet();
  auto published =
      post_json(server.port(), "/notifications/send", good, R"({"title":"t","message":"m"})");
  REQUIRE(published.status == 202);
  CHECK(works.wait_for_id(json_string(published.body, "id")).has_value());
  expect_still_serving(server.port());
}
