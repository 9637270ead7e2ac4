#pragma once

// Plain HTTP and SSE clients over raw sockets, for end-to-end tests: they see
// exactly the bytes the server sends.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sse/wire/parser.hpp"

namespace e2e {

struct HttpResponse {
  int status = 0;                              // 0: no answer (connection refused, closed early)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One request on a fresh connection ("Connection: close").
HttpResponse http(int port, const std::string& method, const std::string& target,
                  const std::string& body = "", const Headers& headers = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

// POST with a JSON body and a bearer token (omitted when empty).
HttpResponse post_json(int port, const std::string& target, const std::string& token,
                       const std::string& json);

// A connected socket; closes on destruction.
class Socket {
 public:
  explicit Socket(int port);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  bool send_all(const std::string& bytes);
  // Reads what arrives within `timeout`; "" on timeout; sets closed() on EOF.
  std::string receive(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }
  void set_receive_buffer(int bytes);

 private:
  int fd_ = -1;
  bool closed_ = false;
};

// An SSE stream: sends the GET, reads the response head, then parses events.
class SseClient {
 public:
  SseClient(int port, const std::string& target, const Headers& headers = {});
  int status() const { return status_; }
  std::string header(const std::string& name) const;
  const std::string& body() const { return raw_body_; }  // for error responses
  // Reads until at least `count` events (heartbeats included unless skipped)
  // have arrived; false on timeout or close.
  bool wait_for_events(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until the event with this id (a heartbeat never counts) has
  // arrived; its index in events(), or nullopt on timeout or close. How a test
  // shows that something did not arrive: the server sends a stream's events
  // in id order, so whatever was published before the event `id` came first.
  std::optional<size_t> wait_for_id(const std::string& id,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until the server closes; false on timeout.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::vector<sse::wire::ParsedEvent>& events() const { return events_; }
  // Events other than heartbeats.
  std::vector<sse::wire::ParsedEvent> real_events() const;
  std::optional<uint32_t> retry_ms() const { return parser_.retry_ms(); }
  // Every byte of the stream body received so far.
  const std::string& stream_bytes() const { return stream_bytes_; }
  bool closed() const { return socket_.closed(); }
  void close();

 private:
  void read_some(std::chrono::milliseconds timeout);
  Socket socket_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string head_buffer_;
  std::string raw_body_;
  std::string stream_bytes_;
  sse::wire::Parser parser_;
  std::vector<sse::wire::ParsedEvent> events_;
};

// Waits until /admin/connections (asked with the demo admin token) lists
// `count` open streams, of one kind when `stream` is set; false on timeout.
bool wait_for_streams(int port, size_t count, const std::string& stream = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// "HTTP/1.1 200 OK\r\nName: value\r\n…" (the blank line may follow): the
// status (0 when the status line has none), and the fields into `headers`,
// their names lower-cased.
int parse_response_head(const std::string& head, std::map<std::string, std::string>& headers);
std::string lower_case(std::string s);

// JSON field helpers for assertions (Poco::JSON underneath).
std::string json_string(const std::string& json, const std::string& field);
long long json_int(const std::string& json, const std::string& field);

}  // namespace e2e
