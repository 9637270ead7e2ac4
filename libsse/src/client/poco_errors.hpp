#pragma once

// Maps Poco's network exceptions to ClientError (internal to libsse/src/client).

#include <Poco/Exception.h>

#include "sse/client/http_client.hpp"

namespace sse::detail {

ClientError client_error_from(const Poco::Exception& e, const Url& url);

}  // namespace sse::detail

namespace sse {
using detail::client_error_from;
}
