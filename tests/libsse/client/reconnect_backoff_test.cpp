#include "sse/client/reconnect_backoff.hpp"

#include <catch2/catch.hpp>

namespace {

// The largest random part every time: the delays show the bounds.
sse::ReconnectBackoff at_bound() {
  return sse::ReconnectBackoff(sse::ReconnectBackoff::kDefaultInitialMs,
                               sse::ReconnectBackoff::kDefaultMaxMs,
                               [](int64_t bound) { return bound; });
}

}  // namespace

TEST_CASE("the backoff bound doubles from 1 s and stops at 30 s", "[client][backoff]") {
  sse::ReconnectBackoff backoff = at_bound();
  std::vector<int64_t> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(backoff.next_delay_ms());
  CHECK(delays == std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000});
  CHECK(backoff.failures() == 7);
}

TEST_CASE("a successful connection starts the backoff over", "[client][backoff]") {
  sse::ReconnectBackoff backoff = at_bound();
  (void)backoff.next_delay_ms();
  (void)backoff.next_delay_ms();
  backoff.reset();
  CHECK(backoff.next_delay_ms() == 1000);
}

TEST_CASE("the server's retry: value is the floor of every delay", "[client][backoff]") {
  sse::ReconnectBackoff none(1000, 30000, [](int64_t) { return 0; });
  none.set_server_retry_ms(3000);
  CHECK(none.next_delay_ms() == 3000);
  CHECK(none.next_delay_ms() == 3000);
  sse::ReconnectBackoff full = at_bound();
  full.set_server_retry_ms(3000);
  CHECK(full.next_delay_ms() == 4000);
  CHECK(full.next_delay_ms() == 5000);
  CHECK(full.next_delay_ms() == 7000);
}

TEST_CASE("a retry: above the cap is capped, and retry: 0 is no floor", "[client][backoff]") {
  sse::ReconnectBackoff big(1000, 30000, [](int64_t) { return 0; });
  big.set_server_retry_ms(120000);
  CHECK(big.next_delay_ms() == 30000);
  sse::ReconnectBackoff zero(1000, 30000, [](int64_t) { return 0; });
  zero.set_server_retry_ms(0);
  CHECK(zero.next_delay_ms() == 0);
  CHECK(zero.next_delay_ms() == 0);
}

TEST_CASE("jitter outside its bound is clamped into it", "[client][backoff]") {
  sse::ReconnectBackoff wild(1000, 30000, [](int64_t bound) { return bound * 5; });
  CHECK(wild.next_delay_ms() == 1000);
  sse::ReconnectBackoff negative(1000, 30000, [](int64_t) { return -7; });
  CHECK(negative.next_delay_ms() == 0);
}

TEST_CASE("the default jitter spreads delays over the whole bound", "[client][backoff]") {
  // 200 draws from [0, 1000]: every one inside, and both halves hit (the
  // chance that all 200 fall in one half is 2^-199).
  int low = 0, high = 0;
  for (int i = 0; i < 200; ++i) {
    sse::ReconnectBackoff backoff;
    const int64_t delay = backoff.next_delay_ms();
    REQUIRE(delay >= 0);
    REQUIRE(delay <= 1000);
    (delay < 500 ? low : high) += 1;
  }
  CHECK(low > 0);
  CHECK(high > 0);
}

TEST_CASE("a Retry-After is the least delay", "[client][backoff]") {
  sse::ReconnectBackoff backoff = at_bound();
  CHECK(backoff.next_delay_ms(5000) == 5000);  // bound 1 s: Retry-After wins
  CHECK(backoff.next_delay_ms(1000) == 2000);  // bound 2 s: the backoff wins
}
