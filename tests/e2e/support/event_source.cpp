#include "support/event_source.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>

namespace e2e {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

EventSourceClient::EventSourceClient(int port, std::string target, Headers headers,
                                     std::chrono::milliseconds default_retry)
    : port_(port),
      target_(std::move(target)),
      headers_(std::move(headers)),
      default_retry_(default_retry),
      parser_([this](const sse::wire::ParsedEvent& e) { events_.push_back(e); }) {
  parser_.set_comment_handler([this](std::string_view text) { comments_.emplace_back(text); });
  connect();
}

void EventSourceClient::connect() {
  Connection connection;
  connection.last_event_id = parser_.last_event_id();
  connection.first_event = events_.size();
  connections_.push_back(connection);
  socket_ = std::make_unique<Socket>(port_);
  std::string request = "GET " + target_ + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                        "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n";
  // WHATWG HTML 9.2.3: "If the EventSource object's last event ID string is
  // not the empty string, set `Last-Event-ID`" on the reconnection.
  if (!connection.last_event_id.empty()) {
    request += "Last-Event-ID: " + connection.last_event_id + "\r\n";
  }
  for (const auto& [name, value] : headers_) request += name + ": " + value + "\r\n";
  request += "\r\n";
  head_.clear();
  chunked_ = false;
  chunk_buffer_.clear();
  chunk_left_ = 0;
  chunk_data_ = false;
  if (socket_->closed() || !socket_->send_all(request)) {
    end_connection();  // a network error: try again after the retry time
    return;
  }
  state_ = State::kHead;
}

void EventSourceClient::end_connection() {
  // 9.2.6: at the end of the stream an event not yet complete is dropped.
  parser_.finish();
  socket_.reset();
  const auto retry =
      parser_.retry_ms() ? std::chrono::milliseconds(*parser_.retry_ms()) : default_retry_;
  reconnect_at_ = Clock::now() + retry;
  state_ = State::kWaiting;
}

void EventSourceClient::read_head(const std::string& bytes) {
  head_ += bytes;
  const size_t end = head_.find("\r\n\r\n");
  if (end == std::string::npos) return;
  Connection& connection = connections_.back();
  connection.status = parse_response_head(head_.substr(0, end), connection.headers);
  const std::string rest = head_.substr(end + 4);
  head_.clear();
  // 9.2.3: anything but 200 with a text/event-stream type fails the
  // connection: the browser does not reconnect.
  const std::string type = lower_case(connection.headers["content-type"]);
  if (connection.status != 200 || type.rfind("text/event-stream", 0) != 0) {
    state_ = State::kFailed;
    failed_ = true;
    socket_.reset();
    return;
  }
  chunked_ = lower_case(connection.headers["transfer-encoding"]).find("chunked") != std::string::npos;
  state_ = State::kBody;
  read_body(rest);
}

void EventSourceClient::read_body(const std::string& bytes) {
  if (!chunked_) {
    parser_.feed(bytes);
    return;
  }
  // RFC 9112 7.1: chunk = size [; ext] CRLF data CRLF, until a size of 0.
  chunk_buffer_ += bytes;
  for (;;) {
    if (chunk_data_) {
      const size_t n = std::min(chunk_left_, chunk_buffer_.size());
      parser_.feed(std::string_view(chunk_buffer_).substr(0, n));
      chunk_buffer_.erase(0, n);
      chunk_left_ -= n;
      if (chunk_left_ > 0 || chunk_buffer_.size() < 2) return;
      chunk_buffer_.erase(0, 2);  // the CRLF after the data
      chunk_data_ = false;
    }
    const size_t line_end = chunk_buffer_.find("\r\n");
    if (line_end == std::string::npos) return;
    chunk_left_ = std::strtoul(chunk_buffer_.c_str(), nullptr, 16);
    chunk_buffer_.erase(0, line_end + 2);
    if (chunk_left_ == 0) {  // the last chunk: the response, and so the stream, is over
      end_connection();
      return;
    }
    chunk_data_ = true;
  }
}

void EventSourceClient::step(std::chrono::milliseconds timeout) {
  switch (state_) {
    case State::kFailed:
      return;
    case State::kWaiting: {
      const auto now = Clock::now();
      if (now >= reconnect_at_) {
        connect();
      } else {
        std::this_thread::sleep_for(std::min<Clock::duration>(timeout, reconnect_at_ - now));
      }
      return;
    }
    case State::kHead:
    case State::kBody: {
      const std::string bytes = socket_->receive(timeout);
      if (state_ == State::kHead) {
        read_head(bytes);
      } else {
        read_body(bytes);
      }
      if (socket_ && socket_->closed() && state_ != State::kWaiting) end_connection();
      return;
    }
  }
}

std::optional<size_t> EventSourceClient::wait_for_id(const std::string& id,
                                                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (size_t seen = 0;;) {
    for (; seen < events_.size(); ++seen) {
      if (events_[seen].type != "heartbeat" && events_[seen].last_event_id == id) return seen;
    }
    if (failed_ || Clock::now() >= deadline) return std::nullopt;
    step(std::chrono::milliseconds(20));
  }
}

bool EventSourceClient::wait_for_comments(const std::string& text, size_t count,
                                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (static_cast<size_t>(std::count(comments_.begin(), comments_.end(), text)) < count) {
    if (failed_ || Clock::now() >= deadline) return false;
    step(std::chrono::milliseconds(20));
  }
  return true;
}

bool EventSourceClient::wait_for_open(size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (opened() < count) {
    if (failed_ || Clock::now() >= deadline) return false;
    step(std::chrono::milliseconds(20));
  }
  return true;
}

size_t EventSourceClient::opened() const {
  return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(),
                                           [](const Connection& c) { return c.status == 200; }));
}

std::vector<std::string> EventSourceClient::ids() const {
  std::vector<std::string> ids;
  for (const auto& e : events_) {
    // An event without an id: line carries the previous id on; sse-server's
    // are the heartbeats and the shutdown farewell.
    const bool farewell =
        e.type == "maintenance" && e.data.find("\"reason\":\"shutdown\"") != std::string::npos;
    if (e.type == "heartbeat" || farewell || e.last_event_id.empty()) continue;
    ids.push_back(e.last_event_id);
  }
  return ids;
}

std::string EventSourceClient::describe() const {
  std::string text;
  for (size_t i = 0; i < connections_.size(); ++i) {
    const Connection& c = connections_[i];
    const size_t end =
        i + 1 < connections_.size() ? connections_[i + 1].first_event : events_.size();
    text += "connection " + std::to_string(i + 1) + ": Last-Event-ID '" + c.last_event_id +
            "' -> " + std::to_string(c.status);
    auto replay = c.headers.find("x-sse-replay");
    if (replay != c.headers.end()) text += " (X-SSE-Replay: " + replay->second + ")";
    text += ", ids";
    for (size_t e = c.first_event; e < end; ++e) {
      if (events_[e].type != "heartbeat") text += " " + events_[e].last_event_id;
    }
    text += "\n";
  }
  if (failed_) text += "failed (not reconnecting)\n";
  return text;
}

}  // namespace e2e
