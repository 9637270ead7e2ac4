#include "sse/limits/rate_limiter.hpp"

#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
// From the ASan runtime (sanitizer/allocator_interface.h, not always installed).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <catch2/catch.hpp>
#include <string>

#include "sse/util/clock.hpp"

using sse::ManualClock;
using sse::RateDecision;
using sse::RateLimiter;

namespace {

// How many tokens `key` can take right now, up to `limit`.
int drain(RateLimiter& limiter, const std::string& key, int limit = 1000) {
  int taken = 0;
  while (taken < limit && limiter.try_acquire(key).allowed) ++taken;
  return taken;
}

// Bytes the heap has handed out and not taken back (glibc's or ASan's
// allocator), or a constant where the allocator does not report it.
size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

}  // namespace

TEST_CASE("rate limiter: a full bucket allows `burst` at once, then refuses", "[limits]") {
  ManualClock clock;
  RateLimiter limiter(20, 5, clock);
  for (int i = 0; i < 5; ++i) {
    CAPTURE(i);
    RateDecision d = limiter.try_acquire("alice");
    CHECK(d.allowed);
    CHECK(d.retry_after_ms == 0);
  }
  RateDecision refused = limiter.try_acquire("alice");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_ms == 50);  // 20 a second: one token every 50 ms
  // Refusals take nothing: still 50 ms to wait.
  CHECK(limiter.try_acquire("alice").retry_after_ms == 50);
}

TEST_CASE("rate limiter: a burst below 1 still allows one request", "[limits]") {
  ManualClock clock;
  RateLimiter limiter(1, 0, clock);
  CHECK(limiter.try_acquire("k").allowed);
  CHECK_FALSE(limiter.try_acquire("k").allowed);
}

TEST_CASE("rate limiter: tokens come back at the rate, never above the burst", "[limits]") {
  ManualClock clock;
  RateLimiter limiter(10, 5, clock);  // one token per 100 ms
  REQUIRE(drain(limiter, "alice") == 5);

  clock.advance_ms(99);
  CHECK(drain(limiter, "alice") == 0);
  clock.advance_ms(1);
  CHECK(drain(limiter, "alice") == 1);

  clock.advance_ms(300);
  CHECK(drain(limiter, "alice") == 3);

  clock.advance_ms(250);  // 2.5 tokens: two now, the half stays
  CHECK(drain(limiter, "alice") == 2);
  clock.advance_ms(50);
  CHECK(drain(limiter, "alice") == 1);

  clock.advance_ms(3'600'000);  // an hour saves up no more than the burst
  CHECK(drain(limiter, "alice") == 5);
}

TEST_CASE("rate limiter: retry_after_ms is exactly when the next token is due", "[limits]") {
  for (double rate : {0.5, 1.0, 3.0, 7.0, 20.0, 33.3, 250.0, 1000.0}) {
    CAPTURE(rate);
    ManualClock clock;
    RateLimiter limiter(rate, 3, clock);
    REQUIRE(drain(limiter, "k") == 3);
    // Many rounds, so that rounding errors would pile up if there were any.
    for (int round = 0; round < 200; ++round) {
      CAPTURE(round);
      RateDecision refused = limiter.try_acquire("k");
      REQUIRE_FALSE(refused.allowed);
      REQUIRE(refused.retry_after_ms >= 1);
      // Waiting part of the time takes exactly that much off the wait.
      const int64_t part = (refused.retry_after_ms * (round % 7)) / 8;
      clock.advance_ms(part);
      RateDecision later = limiter.try_acquire("k");
      REQUIRE_FALSE(later.allowed);
      REQUIRE(later.retry_after_ms == refused.retry_after_ms - part);
      clock.advance_ms(later.retry_after_ms - 1);
      REQUIRE_FALSE(limiter.try_acquire("k").allowed);  // one ms early: still refused
      clock.advance_ms(1);
      REQUIRE(limiter.try_acquire("k").allowed);  // on time: allowed
    }
  }
}

TEST_CASE("rate limiter: the first refusal at 20/s waits 50 ms, a partial token less", "[limits]") {
  ManualClock clock;
  RateLimiter limiter(20, 1, clock);
  REQUIRE(limiter.try_acquire("k").allowed);
  CHECK(limiter.try_acquire("k").retry_after_ms == 50);
  clock.advance_ms(20);
  CHECK(limiter.try_acquire("k").retry_after_ms == 30);
  clock.advance_ms(29);
  CHECK(limiter.try_acquire("k").retry_after_ms == 1);
}

TEST_CASE("rate limiter: keys have their own buckets", "[limits]") {
  ManualClock clock;
  RateLimiter limiter(1, 3, clock);
  REQUIRE(drain(limiter, "alice") == 3);
  CHECK_FALSE(limiter.try_acquire("alice").allowed);
  CHECK(drain(limiter, "bob") == 3);
  CHECK(drain(limiter, "") == 3);  // the empty key is a key like any other
  CHECK(drain(limiter, "alicE") == 3);
  clock.advance_ms(1000);
  CHECK(drain(limiter, "alice") == 1);
  CHECK(drain(limiter, "bob") == 1);
}

TEST_CASE("rate limiter: forgetting idle buckets never resets a partly used one", "[limits]") {
  ManualClock clock;
  RateLimiter limiter(1, 10, clock);  // 10 s to refill completely
  REQUIRE(drain(limiter, "busy") == 10);
  REQUIRE(drain(limiter, "idle", 4) == 4);

  // Let several sweeps pass (they run at most once a minute, on any call)
  // while "busy" keeps its bucket drained.
  for (int minute = 0; minute < 3; ++minute) {
    for (int s = 0; s < 61; ++s) {
      clock.advance_ms(1000);
      CHECK(drain(limiter, "busy") == 1);
    }
  }
  // "idle" refilled long ago: whether forgotten or not, it has the full burst,
  // and no more.
  CHECK(drain(limiter, "idle") == 10);
  // A key refused just now is still refused after a sweep.
  clock.advance_ms(60'000);  // a sweep is due; "busy" refills to the burst
  CHECK(drain(limiter, "busy") == 10);
  clock.advance_ms(500);
  CHECK_FALSE(limiter.try_acquire("busy").allowed);
}

TEST_CASE("rate limiter: memory follows the recently active keys, not every key ever seen",
          "[limits]") {
  constexpr int kKeys = 50'000;
  ManualClock clock;
  RateLimiter limiter(1, 2, clock);  // an idle bucket is full again after 2 s
  (void)limiter.try_acquire("warm-up");

  auto one_off_keys = [&](int round) {
    for (int i = 0; i < kKeys; ++i) {
      (void)limiter.try_acquire("one-off-" + std::to_string(round) + "-" + std::to_string(i));
    }
  };

  const size_t baseline = heap_in_use();
  one_off_keys(0);
  const size_t grown = heap_in_use();
  if (grown < baseline + kKeys * 32) {
    WARN("the allocator does not report heap use here; memory not measured");
    return;
  }
  const size_t growth = grown - baseline;

  for (int round = 1; round <= 3; ++round) {
    clock.advance_ms(61'000);  // every bucket full again, a sweep due
    (void)limiter.try_acquire("trigger");
    one_off_keys(round);
  }
  clock.advance_ms(61'000);
  (void)limiter.try_acquire("trigger");
  const size_t after = heap_in_use();
  CAPTURE(baseline, growth, after);
  // Four rounds of one-off keys, each forgotten: what stays is well under the
  // size of one round (the hash table's bucket array does not shrink).
  CHECK(after < baseline + growth / 2);
}
