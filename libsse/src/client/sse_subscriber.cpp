#include "sse/client/sse_subscriber.hpp"

#include <algorithm>
#include <limits>
#include <thread>

namespace sse {

void RealSleeper::sleep_ms(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

bool is_retryable(const ClientError& error) {
  if (error.kind != ClientErrorKind::kHttp) return error.kind != ClientErrorKind::kProtocol;
  return error.status == 408 || error.status == 429 || error.status >= 500;
}

SseSubscriber::SseSubscriber(SseConnector& connector, const Clock& clock, Sleeper& sleeper,
                             SubscriberOptions options, SubscriberCallbacks callbacks)
    : connector_(connector),
      clock_(clock),
      sleeper_(sleeper),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      backoff_(options_.initial_backoff_ms, options_.max_backoff_ms, options_.jitter),
      parser_([this](const wire::ParsedEvent& event) {
        // Events after a stop in the same chunk are not delivered.
        if (stop_) return;
        if (callbacks_.on_event && !callbacks_.on_event(event)) stop_ = true;
      }) {
  if (!options_.last_event_id.empty()) parser_.set_last_event_id(options_.last_event_id);
  if (callbacks_.on_comment) {
    parser_.set_comment_handler([this](std::string_view text) {
      if (!stop_ && !callbacks_.on_comment(text)) stop_ = true;
    });
  }
}

int64_t SseSubscriber::remaining_ms() const {
  if (!options_.deadline_ms) return std::numeric_limits<int64_t>::max();
  return *options_.deadline_ms - clock_.steady_ms();
}

bool SseSubscriber::sleep_until_retry(int64_t delay_ms) {
  // With keep_going, in slices of poll_ms, so that it can end a long backoff.
  const int64_t slice =
      callbacks_.keep_going ? options_.poll_ms : std::numeric_limits<int64_t>::max();
  const int64_t until =
      clock_.steady_ms() + std::min(delay_ms, std::max<int64_t>(remaining_ms(), 0));
  for (int64_t left = until - clock_.steady_ms(); left > 0; left = until - clock_.steady_ms()) {
    if (callbacks_.keep_going && !callbacks_.keep_going()) return true;  // run() sees it next
    sleeper_.sleep_ms(std::min(left, slice));
  }
  return remaining_ms() > 0;
}

SseSubscriber::Pump SseSubscriber::pump(SseConnection& connection, std::string* why) {
  for (;;) {
    const int64_t left = remaining_ms();
    if (left <= 0) return Pump::kDeadline;
    ReadResult read = connection.read(std::min(options_.poll_ms, left));
    switch (read.status) {
      case ReadStatus::kData:
        parser_.feed(read.bytes);
        if (stop_) return Pump::kStopped;
        break;
      case ReadStatus::kIdle:
        break;
      case ReadStatus::kClosed:
        *why = "the server closed the stream";
        return Pump::kClosed;
      case ReadStatus::kFailed:
        *why = read.message.empty() ? "the connection broke" : read.message;
        return Pump::kBroken;
    }
    if (callbacks_.keep_going && !callbacks_.keep_going()) return Pump::kStopped;
  }
}

SubscribeOutcome SseSubscriber::run() {
  auto outcome = [this](SubscribeEnd end, std::optional<ClientError> error = std::nullopt) {
    return SubscribeOutcome{end, std::move(error), parser_.last_event_id()};
  };
  bool ever_connected = false;
  for (int attempt = 1;; ++attempt) {
    if (remaining_ms() <= 0) return outcome(SubscribeEnd::kDeadline);
    // WHATWG HTML 9.2.3: a reconnection sends the last event id as Last-Event-ID.
    const std::string resume_from = parser_.last_event_id();
    auto opened = connector_.open(
        resume_from, std::max<int64_t>(1, std::min(options_.connect_timeout_ms, remaining_ms())));
    std::string reason;
    int64_t at_least_ms = 0;
    if (!opened) {
      const ClientError& error = opened.error();
      if (!is_retryable(error)) return outcome(SubscribeEnd::kRefused, error);
      if (!options_.reconnect || (!ever_connected && !options_.retry_first_connect)) {
        return outcome(SubscribeEnd::kFailed, error);
      }
      reason = error.message;
      at_least_ms = error.retry_after_s * 1000;
    } else {
      ever_connected = true;
      backoff_.reset();
      if (callbacks_.on_open) callbacks_.on_open({attempt, resume_from, opened->replay});
      const Pump ended = pump(*opened->connection, &reason);
      opened->connection.reset();
      parser_.finish();  // an event cut off by the drop is discarded (WHATWG 9.2.6)
      if (ended == Pump::kStopped) return outcome(SubscribeEnd::kStopped);
      if (ended == Pump::kDeadline) return outcome(SubscribeEnd::kDeadline);
      if (!options_.reconnect) {
        if (ended == Pump::kClosed) return outcome(SubscribeEnd::kClosed);
        return outcome(SubscribeEnd::kFailed, client_error(ClientErrorKind::kUnreachable, reason));
      }
    }
    // WHATWG HTML 9.2.6: retry: sets the reconnection time.
    if (auto retry = parser_.retry_ms()) backoff_.set_server_retry_ms(*retry);
    const int64_t delay = backoff_.next_delay_ms(at_least_ms);
    if (callbacks_.on_reconnecting) callbacks_.on_reconnecting({delay, reason});
    if (!sleep_until_retry(delay)) return outcome(SubscribeEnd::kDeadline);
    if (callbacks_.keep_going && !callbacks_.keep_going()) return outcome(SubscribeEnd::kStopped);
  }
}

}  // namespace sse
