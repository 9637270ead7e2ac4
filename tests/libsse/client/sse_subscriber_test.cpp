#include "sse/client/sse_subscriber.hpp"

#include <deque>

#include <catch2/catch.hpp>

namespace {

using sse::ClientError;
using sse::ClientErrorKind;
using sse::ReadResult;
using sse::ReadStatus;

// A scripted stream: each read returns the next step; kIdle steps move the
// clock by the wait asked for; after the script the stream ends (kClosed).
class ScriptedConnection final : public sse::SseConnection {
 public:
  ScriptedConnection(std::deque<ReadResult> steps, sse::ManualClock& clock)
      : steps_(std::move(steps)), clock_(clock) {}
  ReadResult read(int64_t max_wait_ms) override {
    if (steps_.empty()) return {ReadStatus::kClosed, "", ""};
    ReadResult step = steps_.front();
    steps_.pop_front();
    if (step.status == ReadStatus::kIdle) clock_.advance_ms(max_wait_ms);
    return step;
  }

 private:
  std::deque<ReadResult> steps_;
  sse::ManualClock& clock_;
};

struct Attempt {
  std::optional<ClientError> error;  // set: the open fails
  std::deque<ReadResult> steps;
  std::string replay;
};

class ScriptedConnector final : public sse::SseConnector {
 public:
  explicit ScriptedConnector(sse::ManualClock& clock) : clock_(clock) {}
  std::deque<Attempt> attempts;
  std::vector<std::string> sent_ids;  // Last-Event-ID of each open
  std::vector<int64_t> timeouts;      // the timeout of each open

  sse::Result<sse::OpenedStream, ClientError> open(const std::string& last_event_id,
                                                   int64_t timeout_ms) override {
    sent_ids.push_back(last_event_id);
    timeouts.push_back(timeout_ms);
    if (attempts.empty()) return sse::client_error(ClientErrorKind::kUnreachable, "refused");
    Attempt attempt = std::move(attempts.front());
    attempts.pop_front();
    if (attempt.error) return *attempt.error;
    sse::OpenedStream opened;
    opened.replay = attempt.replay;
    opened.connection = std::make_unique<ScriptedConnection>(std::move(attempt.steps), clock_);
    return opened;
  }

 private:
  sse::ManualClock& clock_;
};

class RecordingSleeper final : public sse::Sleeper {
 public:
  explicit RecordingSleeper(sse::ManualClock& clock) : clock_(clock) {}
  std::vector<int64_t> slept;
  void sleep_ms(int64_t ms) override {
    slept.push_back(ms);
    clock_.advance_ms(ms);
  }

 private:
  sse::ManualClock& clock_;
};

ReadResult data(std::string bytes) { return {ReadStatus::kData, std::move(bytes), ""}; }
ReadResult idle() { return {ReadStatus::kIdle, "", ""}; }
ClientError http(int status, int64_t retry_after_s = 0) {
  ClientError error = sse::client_error(ClientErrorKind::kHttp, "HTTP " + std::to_string(status));
  error.status = status;
  error.retry_after_s = retry_after_s;
  return error;
}

struct Fixture {
  sse::ManualClock clock;
  ScriptedConnector connector{clock};
  RecordingSleeper sleeper{clock};
  std::vector<std::string> ids;
  std::vector<std::string> types;
  std::vector<sse::StreamOpenInfo> opens;
  std::vector<sse::ReconnectInfo> reconnects;
  size_t stop_after = SIZE_MAX;

  std::function<bool(std::string_view)> on_comment;
  std::function<bool()> keep_going;

  // The jitter is at its bound unless a test sets one: delays show the backoff.
  sse::SubscribeOutcome run(sse::SubscriberOptions options = {}) {
    if (!options.jitter) options.jitter = [](int64_t bound) { return bound; };
    sse::SubscriberCallbacks callbacks;
    callbacks.on_comment = on_comment;
    callbacks.keep_going = keep_going;
    callbacks.on_event = [this](const sse::wire::ParsedEvent& event) {
      ids.push_back(event.last_event_id);
      types.push_back(event.type);
      return types.size() < stop_after;
    };
    callbacks.on_open = [this](const sse::StreamOpenInfo& info) { opens.push_back(info); };
    callbacks.on_reconnecting = [this](const sse::ReconnectInfo& info) {
      reconnects.push_back(info);
    };
    sse::SseSubscriber subscriber(connector, clock, sleeper, std::move(options), callbacks);
    return subscriber.run();
  }
};

}  // namespace

TEST_CASE("subscriber reconnects with Last-Event-ID after the stream drops",
          "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back({{},
                                  {data("retry: 3000\n\nid: 1\nevent: a\ndata: x\n\n"),
                                   data("id: 2\nevent: a\ndata: y\n\nid: 3\ndata: cut")},
                                  ""});
  f.connector.attempts.push_back({{}, {data("id: 3\nevent: b\ndata: z\n\n")}, "complete"});
  f.stop_after = 3;
  auto outcome = f.run();
  CHECK(outcome.end == sse::SubscribeEnd::kStopped);
  CHECK(f.connector.sent_ids == std::vector<std::string>{"", "2"});
  CHECK(f.ids ==
        std::vector<std::string>{"1", "2", "3"});  // the cut-off event 3 is not delivered twice
  CHECK(f.types == std::vector<std::string>{"a", "a", "b"});
  CHECK(f.sleeper.slept == std::vector<int64_t>{4000});  // the server's retry: + the backoff
  REQUIRE(f.opens.size() == 2);
  CHECK(f.opens[1].attempt == 2);
  CHECK(f.opens[1].last_event_id == "2");
  CHECK(f.opens[1].replay == "complete");
  REQUIRE(f.reconnects.size() == 1);
  CHECK(f.reconnects[0].reason == "the server closed the stream");
}

TEST_CASE("subscriber backs off exponentially while the server is down", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back({{}, {data("id: 7\ndata: {}\n\n")}, ""});
  for (int i = 0; i < 6; ++i) {
    f.connector.attempts.push_back(
        {sse::client_error(ClientErrorKind::kUnreachable, "refused"), {}, ""});
  }
  f.connector.attempts.push_back({{}, {data("id: 8\ndata: {}\n\n")}, "incomplete"});
  f.stop_after = 2;
  auto outcome = f.run();
  CHECK(outcome.end == sse::SubscribeEnd::kStopped);
  CHECK(f.sleeper.slept == std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000});
  CHECK(f.connector.sent_ids.back() == "7");
  CHECK(f.opens.back().replay == "incomplete");
  CHECK(outcome.last_event_id == "8");
}

TEST_CASE("subscriber resets the backoff after a successful connection", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back({{}, {}, ""});
  f.connector.attempts.push_back(
      {sse::client_error(ClientErrorKind::kUnreachable, "down"), {}, ""});
  f.connector.attempts.push_back({{}, {}, ""});
  f.connector.attempts.push_back({{}, {data("data: done\n\n")}, ""});
  f.stop_after = 1;
  (void)f.run();
  CHECK(f.sleeper.slept == std::vector<int64_t>{1000, 2000, 1000});
}

TEST_CASE("subscriber stops without retrying on 401, 403 and 404", "[client][subscriber]") {
  for (int status : {401, 403, 404, 400}) {
    Fixture f;
    f.connector.attempts.push_back({{}, {}, ""});
    f.connector.attempts.push_back({http(status), {}, ""});
    auto outcome = f.run();
    CHECK(outcome.end == sse::SubscribeEnd::kRefused);
    REQUIRE(outcome.error);
    CHECK(outcome.error->status == status);
    CHECK(f.connector.sent_ids.size() == 2);
    CHECK(f.sleeper.slept.size() == 1);
  }
}

TEST_CASE("subscriber retries 429 and 503, waiting at least Retry-After", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back({{}, {}, ""});
  f.connector.attempts.push_back({http(429, 5), {}, ""});
  f.connector.attempts.push_back({http(503), {}, ""});
  f.connector.attempts.push_back({{}, {data("data: ok\n\n")}, ""});
  f.stop_after = 1;
  CHECK(f.run().end == sse::SubscribeEnd::kStopped);
  CHECK(f.sleeper.slept == std::vector<int64_t>{1000, 5000, 4000});
}

TEST_CASE("subscriber gives up at once when the first connection fails", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back(
      {sse::client_error(ClientErrorKind::kUnreachable, "refused"), {}, ""});
  auto outcome = f.run();
  CHECK(outcome.end == sse::SubscribeEnd::kFailed);
  CHECK(outcome.error->kind == ClientErrorKind::kUnreachable);
  CHECK(f.sleeper.slept.empty());

  Fixture retrying;
  retrying.connector.attempts.push_back(
      {sse::client_error(ClientErrorKind::kUnreachable, "refused"), {}, ""});
  retrying.connector.attempts.push_back({{}, {data("data: ok\n\n")}, ""});
  retrying.stop_after = 1;
  sse::SubscriberOptions options;
  options.retry_first_connect = true;
  CHECK(retrying.run(options).end == sse::SubscribeEnd::kStopped);
  CHECK(retrying.sleeper.slept == std::vector<int64_t>{1000});
}

TEST_CASE("subscriber with reconnect off ends when the stream does", "[client][subscriber]") {
  sse::SubscriberOptions options;
  options.reconnect = false;
  Fixture closed;
  closed.connector.attempts.push_back({{}, {data("data: one\n\n")}, ""});
  CHECK(closed.run(options).end == sse::SubscribeEnd::kClosed);
  CHECK(closed.connector.sent_ids.size() == 1);

  Fixture broken;
  broken.connector.attempts.push_back({{}, {{ReadStatus::kFailed, "", "reset"}}, ""});
  auto outcome = broken.run(options);
  CHECK(outcome.end == sse::SubscribeEnd::kFailed);
  CHECK(outcome.error->message == "reset");
}

TEST_CASE("subscriber honours its deadline while reading and while backing off",
          "[client][subscriber]") {
  sse::SubscriberOptions options;
  Fixture reading;
  options.deadline_ms = reading.clock.steady_ms() + 1000;
  reading.connector.attempts.push_back({{}, {idle(), idle(), idle(), idle(), idle(), idle()}, ""});
  CHECK(reading.run(options).end == sse::SubscribeEnd::kDeadline);
  CHECK(reading.clock.steady_ms() == *options.deadline_ms);  // waits were cut to the deadline

  Fixture waiting;
  options.deadline_ms = waiting.clock.steady_ms() + 2500;
  waiting.connector.attempts.push_back({{}, {}, ""});
  waiting.connector.attempts.push_back(
      {sse::client_error(ClientErrorKind::kTimeout, "slow"), {}, ""});
  CHECK(waiting.run(options).end == sse::SubscribeEnd::kDeadline);
  CHECK(waiting.sleeper.slept == std::vector<int64_t>{1000, 1500});
}

TEST_CASE("subscriber resumes from a given last event id", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back(
      {{}, {data(": heartbeat comment\n\nevent: heartbeat\ndata: {}\n\n")}, ""});
  f.stop_after = 1;
  sse::SubscriberOptions options;
  options.last_event_id = "41";
  (void)f.run(options);
  CHECK(f.connector.sent_ids == std::vector<std::string>{"41"});
  CHECK(f.opens[0].last_event_id == "41");
  CHECK(f.ids == std::vector<std::string>{"41"});  // a heartbeat without id keeps the last id
}

TEST_CASE("subscriber passes comments on and stops when asked", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back(
      {{}, {data("id: 1\nevent: a\ndata: x\n\n: caught-up\n\nid: 2\nevent: a\ndata: y\n\n")}, ""});
  std::vector<std::string> comments;
  f.on_comment = [&comments](std::string_view text) {
    comments.emplace_back(text);
    return false;
  };
  auto outcome = f.run();
  CHECK(outcome.end == sse::SubscribeEnd::kStopped);
  CHECK(comments == std::vector<std::string>{"caught-up"});
  CHECK(f.ids == std::vector<std::string>{"1"});  // the event after the stop is not delivered
}

TEST_CASE("subscriber stops when keep_going says so, while idle", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back({{}, {idle(), idle(), idle(), idle()}, ""});
  int asked = 0;
  f.keep_going = [&asked] { return ++asked < 3; };
  auto outcome = f.run();
  CHECK(outcome.end == sse::SubscribeEnd::kStopped);
  CHECK(asked == 3);
}

TEST_CASE("each open gets the connect timeout, cut to what the deadline leaves",
          "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back({http(503), {}, ""});
  f.connector.attempts.push_back({http(503), {}, ""});
  sse::SubscriberOptions options;
  options.retry_first_connect = true;
  options.connect_timeout_ms = 2000;
  options.deadline_ms = f.clock.steady_ms() + 2500;
  auto outcome = f.run(options);  // waits 1 s after the first 503, then 2 s: past the deadline
  CHECK(outcome.end == sse::SubscribeEnd::kDeadline);
  CHECK(f.connector.timeouts == std::vector<int64_t>{2000, 1500});
}

TEST_CASE("subscriber backs off in slices that keep_going can end", "[client][subscriber]") {
  Fixture f;
  f.connector.attempts.push_back({{}, {}, ""});  // opens, then the server closes it
  int asked = 0;
  f.keep_going = [&asked] { return ++asked < 4; };
  sse::SubscriberOptions options;
  options.poll_ms = 100;
  auto outcome = f.run(options);  // the backoff is 1000 ms: stopped after 300 of them
  CHECK(outcome.end == sse::SubscribeEnd::kStopped);
  CHECK(f.sleeper.slept == std::vector<int64_t>{100, 100, 100});
}
