#pragma once

// A client that follows one stream the way a browser's EventSource does
// (WHATWG HTML 9.2.3, "reestablish the connection"): when the connection
// ends or cannot be made, it waits the stream's retry: time and opens the
// same URL again, sending Last-Event-ID with the id of the last event it got;
// an answer other than 200 text/event-stream fails it for good, as it does a
// browser. Unlike SseClient (http.hpp) it also reads a chunked body, which is
// what a proxy in front of sse-server may turn the stream into.
//
// Single-threaded: it reads only inside its wait_* calls, so a test decides
// when the client notices a closed connection and when it reconnects.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sse/wire/parser.hpp"
#include "support/http.hpp"

namespace e2e {

class EventSourceClient {
 public:
  // One connection attempt: what was sent and what came back.
  struct Connection {
    std::string last_event_id;                   // the Last-Event-ID header sent ("" for none)
    int status = 0;                              // 0: no answer (refused, closed before a head)
    std::map<std::string, std::string> headers;  // names lower-cased
    size_t first_event = 0;                      // index in events() of its first event
  };

  // Connects at once. `headers` go on every request (Authorization, say);
  // `default_retry` is the reconnection time until the stream sends retry:.
  EventSourceClient(int port, std::string target, Headers headers = {},
                    std::chrono::milliseconds default_retry = std::chrono::seconds(3));
  EventSourceClient(const EventSourceClient&) = delete;
  EventSourceClient& operator=(const EventSourceClient&) = delete;

  // Reads, reconnecting as the stream ends, until an event with this id (a
  // heartbeat never counts) has arrived; its index in events(), or nullopt
  // on timeout or once the client has failed.
  std::optional<size_t> wait_for_id(const std::string& id, std::chrono::milliseconds timeout);
  // Reads until `count` comments equal to `text` ("caught-up") have arrived
  // in all; false on timeout or failure.
  bool wait_for_comments(const std::string& text, size_t count, std::chrono::milliseconds timeout);
  // Reads until `count` connections have been answered 200; false on timeout
  // or failure.
  bool wait_for_open(size_t count, std::chrono::milliseconds timeout);

  // Every event received, over every connection, heartbeats included.
  const std::vector<sse::wire::ParsedEvent>& events() const { return events_; }
  // The ids of the events that had an id: line (all but heartbeats and the
  // shutdown farewell), in the order they came.
  std::vector<std::string> ids() const;
  const std::vector<Connection>& connections() const { return connections_; }
  size_t opened() const;  // connections answered 200
  // True once an answer other than 200 text/event-stream ended it for good.
  bool failed() const { return failed_; }
  // What happened, connection by connection, for INFO().
  std::string describe() const;

 private:
  enum class State { kWaiting, kHead, kBody, kFailed };
  void step(std::chrono::milliseconds timeout);
  void connect();
  void read_head(const std::string& bytes);
  void read_body(const std::string& bytes);
  void end_connection();

  int port_;
  std::string target_;
  Headers headers_;
  std::chrono::milliseconds default_retry_;
  State state_ = State::kWaiting;
  std::chrono::steady_clock::time_point reconnect_at_;
  std::unique_ptr<Socket> socket_;
  std::string head_;
  bool chunked_ = false;
  std::string chunk_buffer_;  // chunked body bytes not yet decoded
  size_t chunk_left_ = 0;     // data bytes left in the current chunk
  bool chunk_data_ = false;   // inside a chunk's data (else at a size line)
  sse::wire::Parser parser_;
  std::vector<sse::wire::ParsedEvent> events_;
  std::vector<std::string> comments_;
  std::vector<Connection> connections_;
  bool failed_ = false;
};

}  // namespace e2e
