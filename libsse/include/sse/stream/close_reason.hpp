#pragma once

// Why a writer loop closed a stream. The writer loop decides it and reports it
// to the stream's owner (WriterLoop::ClosedCallback); metrics label
// sse_streams_closed_total with it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sse {

enum class CloseReason : uint8_t {
  kClientGone,
  kSlowClient,
  kIdleTimeout,
  kTokenExpired,
  kKicked,
  kShutdown,
  kWriteError,   // the socket failed for another reason than the client leaving
  kServerError,  // the server could not go on (the log could not be read)
};
inline constexpr size_t kCloseReasonCount = 8;

// "client_gone", "slow_client", …: the metric label.
constexpr std::string_view close_reason_label(CloseReason reason) {
  constexpr std::array<std::string_view, kCloseReasonCount> kLabels = {
      "client_gone", "slow_client", "idle_timeout", "token_expired",
      "kicked",      "shutdown",    "write_error",  "server_error"};
  return kLabels[static_cast<size_t>(reason)];
}

}  // namespace sse
