#pragma once

// Shared helpers for the hostile-input end-to-end tests (tests/e2e/hostile_*):
// raw request bytes, hand-made JWTs, and the closing check every test ends
// with: the server still serves a normal client.

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

namespace e2e {

using Clock = std::chrono::steady_clock;

// Every error is JSON {"error": {"code", "message"}} (SPEC "Errors").
inline void expect_error(const HttpResponse& r, int status, const std::string& code) {
  INFO("status " << r.status << ", body " << r.body);
  CHECK(r.status == status);
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(r.body.rfind(R"({"error":{"code":")" + code + "\"", 0) == 0);
  CHECK(r.body.find("\"message\":") != std::string::npos);
}

// What a raw exchange got back: every byte until the server closed or the
// timeout passed.
struct RawReply {
  std::string bytes;
  bool closed = false;
  // The status codes of the responses in `bytes`, in order: status lines at
  // the start, after a blank line or after a JSON body.
  std::vector<int> statuses() const {
    std::vector<int> out;
    for (size_t at = bytes.find("HTTP/1."); at != std::string::npos;
         at = bytes.find("HTTP/1.", at + 1)) {
      if (at != 0 && bytes.compare(at - 2, 2, "\r\n") != 0 && bytes[at - 1] != '}') continue;
      if (at + 12 <= bytes.size()) out.push_back(std::atoi(bytes.c_str() + at + 9));
    }
    return out;
  }
};

// Sends `request` as is (a send that fails half way is not an error: the
// server may close early) and reads until the server closes or `timeout`.
inline RawReply raw_exchange(int port, const std::string& request,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  Socket socket(port);
  RawReply reply;
  (void)socket.send_all(request);
  const auto deadline = Clock::now() + timeout;
  while (!socket.closed() && Clock::now() < deadline) {
    reply.bytes += socket.receive(std::chrono::milliseconds(50));
  }
  reply.closed = socket.closed();
  return reply;
}

// The normal client every hostile test ends with: /health answers, and a
// fresh realtime stream receives an event published after it opened.
inline void expect_still_serving(int port) {
  static std::atomic<int> serial{0};
  const std::string user = "bystander" + std::to_string(++serial);
  const std::string token = user_token(user);
  CHECK(http(port, "GET", "/health", "", {}, std::chrono::seconds(5)).status == 200);
  SseClient stream(port, "/realtime/stream?token=" + token);
  REQUIRE(stream.status() == 200);
  auto sent = post_json(port, "/realtime/update", token,
                        R"({"entityType":"canary","entityId":")" + user +
                            R"(","action":"update","data":{"ok":true}})");
  REQUIRE(sent.status == 202);
  bool found = false;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!found && Clock::now() < deadline) {
    stream.wait_for_events(stream.events().size() + 1, std::chrono::milliseconds(200));
    for (const auto& e : stream.real_events()) {
      found = found || (e.type == "update" && json_string(e.data, "entityId") == user);
    }
  }
  CHECK(found);
}

// RFC 7515 2: base64url without padding.
inline std::string base64url(std::string_view bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  encoder.close();
  return out.str();
}

// OpenSSL digests shaped the way Poco::HMACEngine wants them.
struct Sha256Engine : Poco::Crypto::DigestEngine {
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::Crypto::DigestEngine("SHA256") {}
};
struct Sha512Engine : Poco::Crypto::DigestEngine {
  enum { BLOCK_SIZE = 128, DIGEST_SIZE = 64 };
  Sha512Engine() : Poco::Crypto::DigestEngine("SHA512") {}
};

// A JWT with exactly this header and payload JSON, HMAC-signed with `secret`
// (SHA-256 by default, whatever alg the header claims).
template <typename Engine = Sha256Engine>
std::string hmac_jwt(const std::string& header_json, const std::string& payload_json,
                     const std::string& secret) {
  const std::string signing_input = base64url(header_json) + "." + base64url(payload_json);
  Poco::HMACEngine<Engine> hmac(secret);
  hmac.update(signing_input);
  const auto& digest = hmac.digest();
  return signing_input + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

// Seconds since the epoch, for exp/nbf claims.
inline long long epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace e2e
