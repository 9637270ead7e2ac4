#include "server/json_body.hpp"

#include <chrono>
#include <sstream>
#include <string_view>

#include <Poco/Exception.h>
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

// Poco's parse errors quote the offending byte, which may be one byte of a
// multi-byte character or a control byte: echo them as \xHH so the JSON error
// body stays valid UTF-8.
std::string printable_ascii(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02X}", byte);
    }
  }
  return out;
}

ApiError request_timeout(std::chrono::milliseconds limit) {
  return {408, "request_timeout",
          fmt::format("the body did not arrive within {} ms", limit.count()), 0,
          Rejection::kBadRequest};
}

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
    return bad_request(fmt::format("the body is not valid JSON: {}", printable_ascii(e.message())));
  }
  if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
    return bad_request("the body must be a JSON object");
  }
  return parsed.extract<Poco::JSON::Object::Ptr>();
}

Result<Poco::JSON::Object::Ptr, ApiError> read_json_object(Exchange& ex, int64_t max_bytes,
                                                           std::chrono::milliseconds time_limit) {
  auto& request = ex.request();
  const std::string type = request.getContentType();
  if (type.compare(0, 16, "application/json") != 0) {
    ex.response().setKeepAlive(false);  // the body stays unread
    return ApiError{415, "unsupported_media_type",
                    "send the body as 'Content-Type: application/json'", 0,
                    Rejection::kUnsupportedMediaType};
  }
  const bool chunked = request.getChunkedTransferEncoding();
  // RFC 9112 6.3: with neither Content-Length nor chunked, the body is empty.
  // (Poco would read until the client closes, holding this worker.)
  if (!chunked && !request.hasContentLength()) {
    ex.response().setKeepAlive(false);
    return bad_request("the body is empty: send it with a Content-Length or chunked");
  }
  const int64_t declared = chunked ? -1 : request.getContentLength64();
  if (!chunked && declared < 0) {
    ex.response().setKeepAlive(false);
    return bad_request("Content-Length must not be negative");
  }
  if (declared > max_bytes) {
    ex.response().setKeepAlive(false);
    return payload_too_large(max_bytes);
  }
  std::string body;
  body.reserve(static_cast<size_t>(declared >= 0 ? declared : std::min<int64_t>(1024, max_bytes)));
  // One receive at a time, so that a client trickling its body is cut off by
  // the deadline, not only by the socket timeout of each receive.
  const auto deadline = std::chrono::steady_clock::now() + time_limit;
  std::istream& in = request.stream();
  char buffer[8192];
  try {
    in.exceptions(std::ios::badbit);  // a read error surfaces as Poco's exception
    while (in.peek() != std::char_traits<char>::eof()) {
      body.append(buffer, static_cast<size_t>(in.readsome(buffer, sizeof buffer)));
      if (static_cast<int64_t>(body.size()) > max_bytes) {
        ex.response().setKeepAlive(false);
        return payload_too_large(max_bytes);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ex.response().setKeepAlive(false);
        return request_timeout(time_limit);
      }
    }
  } catch (const Poco::TimeoutException&) {
    ex.response().setKeepAlive(false);
    return request_timeout(time_limit);
  } catch (const Poco::Exception& e) {  // a malformed chunk, a reset connection
    ex.response().setKeepAlive(false);
    return bad_request(fmt::format("the body could not be read: {}", printable_ascii(e.message())));
  }
  if (declared >= 0 && static_cast<int64_t>(body.size()) != declared) {
    ex.response().setKeepAlive(false);
    return bad_request(fmt::format("the body ended after {} of the {} bytes of its Content-Length",
                                   body.size(), declared));
  }
  return parse_json_object(body);
}

bool FieldReader::present(const std::string& name) const {
  return body_.has(name) && !body_.isNull(name);
}

void FieldReader::fail(ApiError error) {
  if (!error_) error_ = std::move(error);
}

std::optional<std::string> FieldReader::optional_string(const std::string& name,
                                                        size_t max_length) {
  if (!present(name)) return std::nullopt;
  const Poco::Dynamic::Var value = body_.get(name);
  if (!value.isString()) {
    fail(bad_request(fmt::format("field '{}' must be a string", name)));
    return std::nullopt;
  }
  std::string text = value.convert<std::string>();
  if (text.size() > max_length) {
    fail(bad_request(fmt::format("field '{}' is longer than {} bytes", name, max_length)));
    return std::nullopt;
  }
  return text;
}

std::string FieldReader::required_string(const std::string& name, size_t max_length) {
  if (!present(name)) {
    fail(bad_request(fmt::format("missing field '{}'", name)));
    return {};
  }
  std::optional<std::string> text = optional_string(name, max_length);
  if (text && text->empty()) fail(bad_request(fmt::format("field '{}' must not be empty", name)));
  return text.value_or("");
}

std::string FieldReader::required_id(const std::string& name, size_t max_length) {
  std::string id;
  if (present(name)) {
    const Poco::Dynamic::Var value = body_.get(name);
    if (value.isString() || (value.isInteger() && !value.isBoolean())) {
      id = value.convert<std::string>();
    }
  }
  if (id.empty()) {
    fail(bad_request(fmt::format("missing field '{}' (a string or an integer)", name)));
  } else if (id.size() > max_length) {
    fail(bad_request(fmt::format("field '{}' is longer than {} bytes", name, max_length)));
  }
  return id;
}

std::optional<int64_t> FieldReader::optional_non_negative_integer(const std::string& name) {
  if (!present(name)) return std::nullopt;
  const Poco::Dynamic::Var value = body_.get(name);
  if (!value.isInteger() || value.isBoolean() || value.convert<int64_t>() < 0) {
    fail(bad_request(fmt::format("field '{}' must be a non-negative integer", name)));
    return std::nullopt;
  }
  return value.convert<int64_t>();
}

std::string FieldReader::json_text(const std::string& name) const {
  if (!body_.has(name)) return "null";
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(body_.get(name), out);
  return out.str();
}

}  // namespace sse
