#pragma once

// Shared helpers for the hostile-input end-to-end tests (tests/e2e/hostile_*
// and tests/e2e/edge_*): raw request bytes and the responses they get back,
// clients that trickle, hand-made JWTs, and the closing check every test ends
// with: the server still serves a normal client.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/DigestEngine.h>
#include <Poco/HMACEngine.h>
#include <catch2/catch.hpp>

#include "support/http.hpp"
#include "support/process.hpp"

namespace e2e {

using Clock = std::chrono::steady_clock;

// How long a test waits for something that must happen: far longer than it
// takes when things work, so that a broken server fails the test instead of
// hanging it.
inline constexpr std::chrono::milliseconds kPatience = std::chrono::seconds(30);

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

// Reads what `socket` receives until the server closes it or `timeout`.
inline RawReply read_until_closed(Socket& socket, std::chrono::milliseconds timeout) {
  RawReply reply;
  const auto deadline = Clock::now() + timeout;
  while (!socket.closed() && Clock::now() < deadline) {
    reply.bytes += socket.receive(std::chrono::milliseconds(50));
  }
  reply.closed = socket.closed();
  return reply;
}

// Sends `request` as is (a send that fails half way is not an error: the
// server may close early) and reads until the server closes or `timeout`.
inline RawReply raw_exchange(int port, const std::string& request,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  Socket socket(port);
  (void)socket.send_all(request);
  return read_until_closed(socket, timeout);
}

// One HTTP response taken apart from raw bytes.
struct RawResponse {
  std::string status_line;  // "HTTP/1.1 404 Not Found"
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; the last of a repeated one
  std::string body;
  std::string header(std::string name) const {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// The response at the start of `bytes` and how many bytes it takes, or
// nullopt while it is incomplete. Its body is as long as its Content-Length
// (none without one, and none for the answer to a HEAD: `head_only`).
inline std::optional<std::pair<RawResponse, size_t>> take_response(std::string_view bytes,
                                                                   bool head_only = false) {
  const size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return std::nullopt;
  RawResponse response;
  const size_t line_end = bytes.find("\r\n");
  response.status_line = std::string(bytes.substr(0, line_end));
  if (response.status_line.size() >= 12)
    response.status = std::atoi(response.status_line.c_str() + 9);
  for (size_t at = line_end + 2; at < head_end + 2;) {
    const size_t end = bytes.find("\r\n", at);
    const std::string_view line = bytes.substr(at, end - at);
    at = end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    response.headers[name] = std::string(value);
  }
  size_t length = 0;
  const std::string declared = response.header("Content-Length");
  if (!head_only && !declared.empty()) length = std::strtoul(declared.c_str(), nullptr, 10);
  const size_t total = head_end + 4 + length;
  if (bytes.size() < total) return std::nullopt;
  response.body = std::string(bytes.substr(head_end + 4, length));
  return std::make_pair(std::move(response), total);
}

// Every whole response in `bytes`, in order (`head_only[i]`: the i-th
// answers a HEAD). What follows the last whole one is left out.
inline std::vector<RawResponse> split_responses(std::string_view bytes,
                                                const std::vector<bool>& head_only = {}) {
  std::vector<RawResponse> out;
  while (auto next = take_response(bytes, out.size() < head_only.size() && head_only[out.size()])) {
    out.push_back(std::move(next->first));
    bytes.remove_prefix(next->second);
  }
  return out;
}

// RFC 9110 15: the reason phrases of the statuses the HTTP edge refuses with.
inline std::string reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "?";
  }
}

// A refusal by the HTTP edge, whole: exactly one response and nothing after
// it, its status line with the reason phrase, a JSON error {"error":{"code",
// "message"}} with `code`, "Connection: close", and then the server closed
// the connection.
inline void expect_refusal(const RawReply& reply, int status, const std::string& code) {
  INFO("reply: " << reply.bytes.substr(0, 400));
  CHECK(reply.closed);
  CHECK(reply.statuses() == std::vector<int>{status});
  const auto whole = take_response(reply.bytes);
  REQUIRE(whole.has_value());
  const RawResponse& r = whole->first;
  CHECK(whole->second == reply.bytes.size());
  CHECK(r.status_line == "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status));
  CHECK(r.header("Content-Type") == "application/json");
  std::string connection = r.header("Connection");
  std::transform(connection.begin(), connection.end(), connection.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  CHECK(connection == "close");  // RFC 9110 7.6.1: connection options are case-insensitive
  CHECK(r.body.rfind(R"({"error":{"code":")" + code + R"(","message":")", 0) == 0);
  CHECK(r.body.size() >= 3);
  CHECK(r.body.compare(r.body.size() - 3, 3, "\"}}") == 0);
}

// Sockets that each send `head` at once, then `trickle` one byte every
// `every` (all from one thread of their own), each until the server answers
// or closes it. A socket that got an answer sends no more and waits for the
// close, as a client would.
class Tricklers {
 public:
  Tricklers(int port, int count, const std::string& head, const std::string& trickle,
            std::chrono::milliseconds every = std::chrono::milliseconds(200))
      : trickle_size_(trickle.size()) {
    for (int i = 0; i < count; ++i) {
      sockets_.push_back(std::make_unique<Socket>(port));
      REQUIRE(!sockets_.back()->closed());
      if (!head.empty()) REQUIRE(sockets_.back()->send_all(head));
      replies_.emplace_back();
      sent_.push_back(0);
      closed_.push_back(false);
    }
    thread_ = std::thread([this, trickle, every] { run(trickle, every); });
  }
  ~Tricklers() { stop(); }
  Tricklers(const Tricklers&) = delete;
  Tricklers& operator=(const Tricklers&) = delete;

  // Waits until the server closed every socket; false on timeout.
  bool wait_all_closed(std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    while (closed_count() < sockets_.size()) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
  // Waits until every socket has sent at least `bytes` of the trickle; false
  // on timeout, or when one was closed first.
  bool wait_sent(size_t bytes, std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mu_);
        bool all = true;
        for (size_t i = 0; i < sockets_.size(); ++i) {
          if (closed_[i]) return false;
          all = all && sent_[i] >= bytes;
        }
        if (all) return true;
      }
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  size_t closed_count() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (bool closed : closed_) n += closed;
    return n;
  }
  // Every socket was closed by the server before it had sent all of `trickle`.
  bool all_cut_short() const {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < sockets_.size(); ++i) {
      if (!closed_[i] || sent_[i] >= trickle_size_) return false;
    }
    return true;
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // What each socket received, with whether the server closed it. Call
  // after stop().
  RawReply reply(size_t i) const { return RawReply{replies_[i], closed_[i]}; }
  size_t size() const { return sockets_.size(); }

 private:
  void run(const std::string& trickle, std::chrono::milliseconds every) {
    for (size_t at = 0; !stop_; ++at) {
      bool any_open = false;
      for (size_t i = 0; i < sockets_.size(); ++i) {
        std::lock_guard lock(mu_);
        if (closed_[i]) continue;
        Socket& s = *sockets_[i];
        for (std::string got; !(got = s.receive(std::chrono::milliseconds(0))).empty();) {
          replies_[i] += got;
        }
        if (s.closed()) {
          closed_[i] = true;
          continue;
        }
        any_open = true;
        // A failed send is the server closing: the next receive sees it.
        if (replies_[i].empty() && sent_[i] == at && at < trickle.size() &&
            s.send_all(trickle.substr(at, 1))) {
          sent_[i] = at + 1;
        }
      }
      if (!any_open) return;
      std::this_thread::sleep_for(every);
    }
  }

  const size_t trickle_size_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::vector<std::string> replies_;
  std::vector<size_t> sent_;  // bytes of the trickle sent so far
  std::vector<bool> closed_;  // seen closed by the server
  mutable std::mutex mu_;     // replies_, sent_, closed_: the trickling thread writes them
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

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
