#include "poco_errors.hpp"

#include <Poco/Net/NetException.h>
#include <fmt/format.h>

namespace sse::detail {

ClientError client_error_from(const Poco::Exception& e, const Url& url) {
  ClientError error;
  if (dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr) {
    error.kind = ClientErrorKind::kTimeout;
    error.message = fmt::format("no answer from {} in time", url.to_string());
  } else if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e) != nullptr ||
             dynamic_cast<const Poco::Net::HostNotFoundException*>(&e) != nullptr ||
             dynamic_cast<const Poco::Net::NoAddressFoundException*>(&e) != nullptr ||
             dynamic_cast<const Poco::Net::DNSException*>(&e) != nullptr ||
             dynamic_cast<const Poco::Net::NetException*>(&e) != nullptr ||
             dynamic_cast<const Poco::IOException*>(&e) != nullptr) {
    const bool broken_answer = dynamic_cast<const Poco::Net::MessageException*>(&e) != nullptr ||
                               dynamic_cast<const Poco::Net::NoMessageException*>(&e) != nullptr;
    error.kind = broken_answer ? ClientErrorKind::kProtocol : ClientErrorKind::kUnreachable;
    error.message = fmt::format("{} ({})", url.to_string(), e.displayText());
  } else {
    error.kind = ClientErrorKind::kProtocol;
    error.message = fmt::format("{}: {}", url.to_string(), e.displayText());
  }
  return error;
}

}  // namespace sse::detail
