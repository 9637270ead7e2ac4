// ssectl token demo|jwt|inspect, and the round trip: a token ssectl makes is
// accepted by sse-server, and inspect reads back the same identity.

#include <catch2/catch.hpp>

#include "ssectl_helpers.hpp"

TEST_CASE("ssectl token demo prints the spec's reference token byte for byte", "[ssectl][token]") {
  auto result = e2e::ssectl({"token", "demo", "--user-id", "test123", "--username", "testuser",
                             "--email", "test@example.com", "--roles", "user,admin"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == e2e::kDemoToken + "\n");  // only the token: T=$(ssectl token demo …) works
  CHECK(result.err.empty());
  auto repeated =
      e2e::ssectl({"token", "demo", "--user-id", "test123", "--username", "testuser", "--email",
                   "test@example.com", "--roles", "user", "--roles", "admin"});
  CHECK(repeated.out == result.out);
}

TEST_CASE("ssectl token demo refuses identities that would not round-trip", "[ssectl][token]") {
  auto colon = e2e::ssectl({"token", "demo", "--user-id", "a:b", "--roles", "user"});
  CHECK(colon.exit_code == 65);
  CHECK(colon.err.find("cannot make a demo token") != std::string::npos);
  CHECK(colon.out.empty());
  auto no_roles = e2e::ssectl({"token", "demo", "--user-id", "a"});
  CHECK(no_roles.exit_code == 64);
}

TEST_CASE("ssectl token jwt (HS256) is accepted by the server and inspects to the same identity",
          "[ssectl][token]") {
  e2e::TempDir dir;
  const std::string secret = dir.file("secret", "s3cret-for-tests\n");
  const std::string wrong = dir.file("wrong", "another-secret\n");
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_AUTH_JWT_SECRET_FILE", secret}});
  auto made = e2e::ssectl({"token", "jwt", "--secret-file", secret, "--user-id", "carol",
                           "--username", "Carol", "--email", "carol@example.com", "--roles",
                           "user,admin", "--ttl", "10m"});
  REQUIRE(made.exit_code == 0);
  const std::string token = made.out.substr(0, made.out.size() - 1);
  CHECK(std::count(token.begin(), token.end(), '.') == 2);

  auto sent = e2e::ssectl({"-o", "json", "send", "notification", "--title", "t", "--message", "m",
                           "--server", server.url(), "--token", token});
  CHECK(sent.exit_code == 0);
  auto listed = e2e::ssectl(
      {"-o", "json", "connections", "list", "--server", server.url(), "--token", token});
  CHECK(listed.exit_code == 0);  // carol is admin by the token's roles

  auto inspected = e2e::ssectl({"-o", "json", "token", "inspect", token, "--secret-file", secret});
  CHECK(inspected.exit_code == 0);
  CHECK(e2e::json_string(inspected.out, "kind") == "jwt");
  CHECK(e2e::json_string(inspected.out, "algorithm") == "HS256");
  CHECK(e2e::json_string(inspected.out, "userId") == "carol");
  CHECK(e2e::json_string(inspected.out, "username") == "Carol");
  CHECK(e2e::json_string(inspected.out, "email") == "carol@example.com");
  CHECK(inspected.out.find(R"("roles":["user","admin"])") != std::string::npos);
  CHECK(inspected.out.find(R"("verified":true)") != std::string::npos);

  auto text = e2e::ssectl({"token", "inspect", token});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("user id:   carol") != std::string::npos);
  CHECK(text.out.find("signature: not checked") != std::string::npos);

  auto forged = e2e::ssectl({"token", "inspect", token, "--secret-file", wrong});
  CHECK(forged.exit_code == 77);
  CHECK(forged.out.find("signature: INVALID: bad signature") != std::string::npos);
  auto other = e2e::ssectl(
      {"token", "jwt", "--secret-file", wrong, "--user-id", "carol", "--roles", "user"});
  auto refused = e2e::ssectl({"send", "typing", "--room", "r", "--server", server.url(), "--token",
                              other.out.substr(0, other.out.size() - 1)});
  CHECK(refused.exit_code == 77);
}

TEST_CASE("ssectl token jwt (RS256) is accepted by a server with the public key",
          "[ssectl][token]") {
  e2e::TempDir dir;
  const std::string key = (dir.path() / "key.pem").string();
  const std::string pub = (dir.path() / "pub.pem").string();
  REQUIRE(e2e::run({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", key})
              .exit_code == 0);
  REQUIRE(e2e::run({"openssl", "pkey", "-in", key, "-pubout", "-out", pub}).exit_code == 0);
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS, {"SSE_AUTH_JWT_PUBLIC_KEY_FILE", pub}});
  auto made =
      e2e::ssectl({"token", "jwt", "--private-key", key, "--user-id", "dave", "--roles", "user"});
  REQUIRE(made.exit_code == 0);
  const std::string token = made.out.substr(0, made.out.size() - 1);
  auto sent = e2e::ssectl(
      {"send", "chat", "--room", "lobby", "hi", "--server", server.url(), "--token", token});
  CHECK(sent.exit_code == 0);
  auto inspected =
      e2e::ssectl({"-o", "json", "token", "inspect", "-", "--public-key", pub}, token + "\n");
  CHECK(inspected.exit_code == 0);
  CHECK(e2e::json_string(inspected.out, "algorithm") == "RS256");
  CHECK(e2e::json_string(inspected.out, "userId") == "dave");
  CHECK(inspected.out.find(R"("verified":true)") != std::string::npos);
}

TEST_CASE("ssectl token inspect decodes demo tokens and rejects garbage", "[ssectl][token]") {
  auto demo = e2e::ssectl({"-o", "json", "token", "inspect", e2e::kDemoToken});
  CHECK(demo.exit_code == 0);
  CHECK(e2e::json_string(demo.out, "kind") == "demo");
  CHECK(e2e::json_string(demo.out, "userId") == "test123");
  CHECK(e2e::json_string(demo.out, "email") == "test@example.com");
  CHECK(demo.out.find(R"("roles":["user","admin"])") != std::string::npos);
  auto garbage = e2e::ssectl({"token", "inspect", "%%%"});
  CHECK(garbage.exit_code == 65);
  auto usage = e2e::ssectl({"token", "jwt", "--user-id", "x", "--roles", "user"});
  CHECK(usage.exit_code == 64);
  CHECK(usage.err.find("--secret-file") != std::string::npos);
}

TEST_CASE("ssectl token demo and jwt warn when no role is user or admin", "[ssectl][token]") {
  const std::string warning =
      "ssectl: warning: a token without the user or admin role is refused by every endpoint that "
      "needs a token\n";
  auto typo = e2e::ssectl({"token", "demo", "--user-id", "u", "--roles", "usr"});
  CHECK(typo.exit_code == 0);
  CHECK(typo.err == warning);
  REQUIRE(typo.out.size() > 1);
  auto with_user = e2e::ssectl({"token", "demo", "--user-id", "u", "--roles", "usr,user"});
  CHECK(with_user.exit_code == 0);
  CHECK(with_user.err.empty());
  auto admin = e2e::ssectl({"token", "demo", "--user-id", "u", "--roles", "admin"});
  CHECK(admin.err.empty());

  e2e::TempDir dir;
  const std::string secret = dir.file("secret", "s3cret-for-tests\n");
  auto jwt = e2e::ssectl(
      {"token", "jwt", "--secret-file", secret, "--user-id", "u", "--roles", "guest,reader"});
  CHECK(jwt.exit_code == 0);
  CHECK(jwt.err == warning);
  CHECK(std::count(jwt.out.begin(), jwt.out.end(), '.') == 2);
  auto quiet = e2e::ssectl({"-q", "token", "demo", "--user-id", "u", "--roles", "usr"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());

  // What the warning says: the server refuses such a token.
  e2e::ServerProcess server({SSECTL_NO_STATUS_TICKS});
  auto refused = e2e::ssectl({"send", "typing", "--room", "r", "--server", server.url(), "--token",
                              typo.out.substr(0, typo.out.size() - 1)});
  CHECK(refused.exit_code == 77);
}

TEST_CASE("ssectl token --secret-file missing or empty exits 78 for jwt and inspect",
          "[ssectl][token]") {
  e2e::TempDir dir;
  const std::string secret = dir.file("secret", "s3cret-for-tests\n");
  const std::string empty = dir.file("empty", "\n");
  const std::string missing = (dir.path() / "absent").string();
  auto made =
      e2e::ssectl({"token", "jwt", "--secret-file", secret, "--user-id", "u", "--roles", "user"});
  REQUIRE(made.exit_code == 0);
  const std::string token = made.out.substr(0, made.out.size() - 1);
  for (const std::string& file : {missing, empty, dir.path().string()}) {
    INFO(file);
    auto jwt =
        e2e::ssectl({"token", "jwt", "--secret-file", file, "--user-id", "u", "--roles", "user"});
    CHECK(jwt.exit_code == 78);
    CHECK(jwt.err.find(file) != std::string::npos);
    CHECK(jwt.out.empty());
    auto inspect = e2e::ssectl({"token", "inspect", token, "--secret-file", file});
    CHECK(inspect.exit_code == 78);
    CHECK(inspect.err.find(file) != std::string::npos);
  }
  // Key files are the same kind of input: a missing one is a configuration error too.
  auto no_private =
      e2e::ssectl({"token", "jwt", "--private-key", missing, "--user-id", "u", "--roles", "user"});
  CHECK(no_private.exit_code == 78);
  auto no_public = e2e::ssectl({"token", "inspect", token, "--public-key", missing});
  CHECK(no_public.exit_code == 78);
}
