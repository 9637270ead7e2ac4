#pragma once

// Why the HTTP layer refused a request or a stream. Every refusal the server
// sends carries one (ApiError::rejection); metrics label sse_rejections_total
// with it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sse {

enum class Rejection : uint8_t {
  kUnauthorized,
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kBadRequest,
  kPayloadTooLarge,
  kUnsupportedMediaType,
  kRateLimited,
  kStreamLimitTotal,
  kStreamLimitUser,
  kStreamLimitAnonymous,
  kRequestTimeout,  // the head or the body did not arrive in time (408)
  kBusy,            // every request handler busy and the queue full (503)
  kInternal,
};
inline constexpr size_t kRejectionCount = 14;

// "unauthorized", "forbidden", …: the metric label.
constexpr std::string_view rejection_label(Rejection rejection) {
  constexpr std::array<std::string_view, kRejectionCount> kLabels = {"unauthorized",
                                                                     "forbidden",
                                                                     "not_found",
                                                                     "method_not_allowed",
                                                                     "bad_request",
                                                                     "payload_too_large",
                                                                     "unsupported_media_type",
                                                                     "rate_limited",
                                                                     "stream_limit_total",
                                                                     "stream_limit_user",
                                                                     "stream_limit_anonymous",
                                                                     "request_timeout",
                                                                     "busy",
                                                                     "internal"};
  return kLabels[static_cast<size_t>(rejection)];
}

}  // namespace sse
