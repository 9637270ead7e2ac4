#include "support/http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <thread>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "support/process.hpp"

namespace e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::string request_text(int port, const std::string& method, const std::string& target,
                         const std::string& body, const Headers& headers, bool close) {
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    req += name + ": " + value + "\r\n";
    if (lower_case(name) == "content-length" || lower_case(name) == "transfer-encoding") has_length = true;
  }
  if (!body.empty() && !has_length)
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) req += "Connection: close\r\n";
  return req + "\r\n" + body;
}

}  // namespace

std::string lower_case(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int parse_response_head(const std::string& head, std::map<std::string, std::string>& headers) {
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  const size_t sp = status_line.find(' ');
  const int status = sp == std::string::npos ? 0 : std::atoi(status_line.c_str() + sp + 1);
  size_t pos = line_end + 2;
  while (pos < head.size()) {
    const size_t end = head.find("\r\n", pos);
    const std::string line = head.substr(pos, end - pos);
    pos = end == std::string::npos ? head.size() : end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    headers[lower_case(line.substr(0, colon))] = value;
  }
  return status;
}


std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(lower_case(name));
  return it == headers.end() ? "" : it->second;
}

Socket::Socket(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) closed_ = true;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

void Socket::set_receive_buffer(int bytes) {
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

bool Socket::send_all(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string Socket::receive(std::chrono::milliseconds timeout) {
  if (closed_) return "";
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return "";
  char buffer[65536];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n <= 0) {
    closed_ = true;
    return "";
  }
  return std::string(buffer, static_cast<size_t>(n));
}

HttpResponse http(int port, const std::string& method, const std::string& target,
                  const std::string& body, const Headers& headers,
                  std::chrono::milliseconds timeout) {
  Socket socket(port);
  HttpResponse response;
  if (socket.closed() ||
      !socket.send_all(request_text(port, method, target, body, headers, true))) {
    return response;
  }
  std::string raw;
  const auto deadline = Clock::now() + timeout;
  while (!socket.closed() && Clock::now() < deadline) {
    raw += socket.receive(std::chrono::milliseconds(50));
    const size_t head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos) continue;
    std::map<std::string, std::string> h;
    parse_response_head(raw.substr(0, head_end + 2), h);
    auto length = h.find("content-length");
    if (length != h.end() && raw.size() >= head_end + 4 + std::stoul(length->second)) break;
  }
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return response;
  response.status = parse_response_head(raw.substr(0, head_end + 2), response.headers);
  response.body = raw.substr(head_end + 4);
  return response;
}

HttpResponse post_json(int port, const std::string& target, const std::string& token,
                       const std::string& json) {
  Headers headers = {{"Content-Type", "application/json"}};
  if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
  return http(port, "POST", target, json, headers);
}

SseClient::SseClient(int port, const std::string& target, const Headers& headers)
    : socket_(port), parser_([this](const sse::wire::ParsedEvent& e) { events_.push_back(e); }) {
  Headers all = headers;
  all.push_back({"Accept", "text/event-stream"});
  socket_.send_all(request_text(port, "GET", target, "", all, false));
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (status_ == 0 && !socket_.closed() && Clock::now() < deadline) {
    head_buffer_ += socket_.receive(std::chrono::milliseconds(50));
    const size_t head_end = head_buffer_.find("\r\n\r\n");
    if (head_end == std::string::npos) continue;
    status_ = parse_response_head(head_buffer_.substr(0, head_end + 2), headers_);
    const std::string rest = head_buffer_.substr(head_end + 4);
    if (status_ == 200) {
      stream_bytes_ = rest;
      parser_.feed(rest);
    } else {
      raw_body_ = rest;
      auto length = headers_.find("content-length");
      while (length != headers_.end() && raw_body_.size() < std::stoul(length->second) &&
             !socket_.closed() && Clock::now() < deadline) {
        raw_body_ += socket_.receive(std::chrono::milliseconds(50));
      }
    }
  }
}

std::string SseClient::header(const std::string& name) const {
  auto it = headers_.find(lower_case(name));
  return it == headers_.end() ? "" : it->second;
}

void SseClient::read_some(std::chrono::milliseconds timeout) {
  const std::string bytes = socket_.receive(timeout);
  stream_bytes_ += bytes;
  parser_.feed(bytes);
}

bool SseClient::wait_for_events(size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (events_.size() < count) {
    if (socket_.closed() || Clock::now() >= deadline) return false;
    read_some(std::chrono::milliseconds(20));
  }
  return true;
}

std::optional<size_t> SseClient::wait_for_id(const std::string& id,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (size_t seen = 0;;) {
    for (; seen < events_.size(); ++seen) {
      if (events_[seen].type != "heartbeat" && events_[seen].last_event_id == id) return seen;
    }
    if (socket_.closed() || Clock::now() >= deadline) return std::nullopt;
    read_some(std::chrono::milliseconds(20));
  }
}

bool SseClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!socket_.closed()) {
    if (Clock::now() >= deadline) return false;
    read_some(std::chrono::milliseconds(20));
  }
  return true;
}

std::vector<sse::wire::ParsedEvent> SseClient::real_events() const {
  std::vector<sse::wire::ParsedEvent> out;
  for (const auto& e : events_) {
    if (e.type != "heartbeat") out.push_back(e);
  }
  return out;
}

void SseClient::close() { ::shutdown(socket_.fd(), SHUT_RDWR); }

bool wait_for_streams(int port, size_t count, const std::string& stream,
                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string target =
      stream.empty() ? "/admin/connections" : "/admin/connections?stream=" + stream;
  while (Clock::now() < deadline) {
    auto response = http(port, "GET", target, "", {{"Authorization", "Bearer " + kDemoToken}});
    size_t found = 0;
    for (size_t at = response.body.find("\"id\":"); at != std::string::npos;
         at = response.body.find("\"id\":", at + 1)) {
      ++found;
    }
    if (response.status == 200 && found == count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string json_string(const std::string& json, const std::string& field) {
  Poco::JSON::Parser parser;
  auto object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  return object->has(field) ? object->get(field).convert<std::string>() : "";
}

long long json_int(const std::string& json, const std::string& field) {
  Poco::JSON::Parser parser;
  auto object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
  return object->get(field).convert<long long>();
}

}  // namespace e2e
