#include "sse/client/reconnect_backoff.hpp"

#include <catch2/catch.hpp>

TEST_CASE("backoff doubles from 1 s and stops at 30 s", "[client][backoff]") {
  sse::ReconnectBackoff backoff;
  std::vector<int64_t> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(backoff.next_delay_ms());
  CHECK(delays == std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000});
  CHECK(backoff.failures() == 7);
}

TEST_CASE("a successful connection starts the backoff over", "[client][backoff]") {
  sse::ReconnectBackoff backoff;
  (void)backoff.next_delay_ms();
  (void)backoff.next_delay_ms();
  backoff.reset();
  CHECK(backoff.next_delay_ms() == 1000);
}

TEST_CASE("the server's retry: value becomes the first delay", "[client][backoff]") {
  sse::ReconnectBackoff backoff;
  backoff.set_server_retry_ms(3000);
  CHECK(backoff.next_delay_ms() == 3000);
  CHECK(backoff.next_delay_ms() == 6000);
  CHECK(backoff.next_delay_ms() == 12000);
  CHECK(backoff.next_delay_ms() == 24000);
  CHECK(backoff.next_delay_ms() == 30000);
}

TEST_CASE("a retry: above the cap is capped, and retry: 0 does not spin", "[client][backoff]") {
  sse::ReconnectBackoff big;
  big.set_server_retry_ms(120000);
  CHECK(big.next_delay_ms() == 30000);
  sse::ReconnectBackoff zero;
  zero.set_server_retry_ms(0);
  CHECK(zero.next_delay_ms() == 0);
  CHECK(zero.next_delay_ms() == 1000);
  CHECK(zero.next_delay_ms() == 2000);
}
