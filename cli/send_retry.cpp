#include "send_retry.hpp"

#include <fmt/format.h>

namespace sse::cli {
namespace {

std::string failure_text(const ClientError& error) {
  if (error.kind == ClientErrorKind::kHttp)
    return fmt::format("{} ({})", error.message, error.status);
  return fmt::format("cannot reach sse-server: {}", error.message);
}

}  // namespace

bool send_may_retry(const ClientError& error) {
  switch (error.kind) {
    case ClientErrorKind::kUnreachable:
      // Refused or no route: nothing reached the server. A connection that
      // broke after the request went out may have published the event.
      return !error.request_sent;
    case ClientErrorKind::kHttp:
      return error.status == 429 || error.status == 503;
    case ClientErrorKind::kTimeout:  // the server may have the event
    case ClientErrorKind::kProtocol:
      return false;
  }
  return false;
}

Result<HttpResponse, ClientError> post_with_retries(const HttpClient& client,
                                                    const std::string& target,
                                                    const std::string& json, const RetryPlan& plan,
                                                    const Output& out, Sleeper& sleeper) {
  ReconnectBackoff backoff;
  for (int retry = 1;; ++retry) {
    auto response = client.post_json(target, json);
    if (response || retry > plan.retries || !send_may_retry(response.error())) return response;
    const int64_t delay_ms = backoff.next_delay_ms(response.error().retry_after_s * 1000);
    out.notice(fmt::format("{}{}; retry {} of {} in {:.1f} s",
                           plan.where.empty() ? "" : plan.where + ": ",
                           failure_text(response.error()), retry, plan.retries,
                           static_cast<double>(delay_ms) / 1000.0));
    sleeper.sleep_ms(delay_ms);
  }
}

}  // namespace sse::cli
