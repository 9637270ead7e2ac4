#include "sse/server/json_body.hpp"

#include <sstream>

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

#include "sse/util/json.hpp"

namespace sse {
namespace {

constexpr size_t kMaxJsonDepth = 32;

ApiError payload_too_large(int64_t max_bytes) {
  return {413, "payload_too_large", fmt::format("the body is larger than {} bytes", max_bytes), 0,
          Rejection::kPayloadTooLarge};
}

}  // namespace

Result<Poco::JSON::Object::Ptr, ApiError> parse_json_object(const std::string& text) {
  if (!is_valid_utf8(text)) return bad_request("the body is not valid UTF-8");
  Poco::Dynamic::Var parsed;
  try {
    // Keep the publisher's key order: `data` is passed on as it was sent.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    parser.setDepth(kMaxJsonDepth);
    parsed = parser.parse(text);
  } catch (const Poco::Exception& e) {
    return bad_request(fmt::format("the body is not valid JSON: {}", e.message()));
  }
  if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
    return bad_request("the body must be a JSON object");
  }
  return parsed.extract<Poco::JSON::Object::Ptr>();
}

Result<Poco::JSON::Object::Ptr, ApiError> read_json_object(Exchange& ex, int64_t max_bytes) {
  auto& request = ex.request();
  const std::string type = request.getContentType();
  if (type.compare(0, 16, "application/json") != 0) {
    ex.response().setKeepAlive(false);  // the body stays unread
    return ApiError{415, "unsupported_media_type",
                    "send the body as 'Content-Type: application/json'", 0,
                    Rejection::kUnsupportedMediaType};
  }
  if (request.hasContentLength() && request.getContentLength64() > max_bytes) {
    ex.response().setKeepAlive(false);
    return payload_too_large(max_bytes);
  }
  std::string body;
  body.reserve(static_cast<size_t>(std::min<int64_t>(
      request.getContentLength64() > 0 ? request.getContentLength64() : 1024, max_bytes)));
  std::istream& in = request.stream();
  char buffer[8192];
  while (in) {
    in.read(buffer, sizeof buffer);
    body.append(buffer, static_cast<size_t>(in.gcount()));
    if (static_cast<int64_t>(body.size()) > max_bytes) {
      ex.response().setKeepAlive(false);
      return payload_too_large(max_bytes);
    }
  }
  return parse_json_object(body);
}

Result<std::optional<std::string>, ApiError> string_field(const Poco::JSON::Object& body,
                                                          const std::string& name, bool required,
                                                          size_t max_length) {
  if (!body.has(name) || body.isNull(name)) {
    if (required) return bad_request(fmt::format("missing field '{}'", name));
    return std::optional<std::string>{};
  }
  const Poco::Dynamic::Var value = body.get(name);
  if (!value.isString()) return bad_request(fmt::format("field '{}' must be a string", name));
  std::string text = value.convert<std::string>();
  if (required && text.empty())
    return bad_request(fmt::format("field '{}' must not be empty", name));
  if (text.size() > max_length) {
    return bad_request(fmt::format("field '{}' is longer than {} bytes", name, max_length));
  }
  return std::optional<std::string>(std::move(text));
}

std::string json_field_text(const Poco::JSON::Object& body, const std::string& name) {
  if (!body.has(name)) return "null";
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(body.get(name), out);
  return out.str();
}

}  // namespace sse
