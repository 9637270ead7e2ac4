#include "server/json_body.hpp"

#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

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

// The tree builder of Poco's parser, refusing a key an object already has.
// RFC 8259 4 leaves duplicates to the receiver, and receivers disagree (Poco
// keeps the last, others the first): a check on one copy and a use of the
// other must never meet, so a body with a duplicate key is refused (I-JSON,
// RFC 7493 2.3).
class UniqueKeyHandler final : public Poco::JSON::ParseHandler {
 public:
  UniqueKeyHandler() : Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true) {}
  void reset() override {
    Poco::JSON::ParseHandler::reset();
    keys_.clear();
  }
  void startObject() override {
    keys_.emplace_back();
    Poco::JSON::ParseHandler::startObject();
  }
  void endObject() override {
    if (!keys_.empty()) keys_.pop_back();
    Poco::JSON::ParseHandler::endObject();
  }
  void key(const std::string& k) override {
    if (!keys_.empty() && !keys_.back().insert(k).second) throw DuplicateKey{k};
    Poco::JSON::ParseHandler::key(k);
  }

  struct DuplicateKey {
    std::string key;
  };

 private:
  std::vector<std::set<std::string>> keys_;  // the keys of each open object
};

// Poco 1.11 reads an integer beyond 64 bits as a different number (2^64 as
// 0, -2^63-1 as -2^63) or refuses it, depending on its digits. An integer
// outside [-2^63, 2^64-1] anywhere in `text` is returned, so that the body is
// refused before Poco sees it and no number is ever published changed.
std::optional<std::string_view> integer_out_of_range(std::string_view text) {
  auto is_digit = [&](size_t at) { return at < text.size() && text[at] >= '0' && text[at] <= '9'; };
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !is_digit(i)) continue;
    // RFC 8259 6: number = [ minus ] int [ frac ] [ exp ]
    size_t end = i + (c == '-' ? 1 : 0);
    while (is_digit(end)) ++end;
    const std::string_view integer = text.substr(i, end - i);
    bool is_integer = true;
    if (end < text.size() && text[end] == '.') {
      is_integer = false;
      for (++end; is_digit(end);) ++end;
    }
    if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
      is_integer = false;
      ++end;
      if (end < text.size() && (text[end] == '+' || text[end] == '-')) ++end;
      while (is_digit(end)) ++end;
    }
    if (is_integer && integer.size() > (c == '-' ? 1u : 0u)) {
      const char* first = integer.data();
      const char* last = integer.data() + integer.size();
      std::from_chars_result parsed;
      if (c == '-') {
        int64_t value;
        parsed = std::from_chars(first, last, value);
      } else {
        uint64_t value;
        parsed = std::from_chars(first, last, value);
      }
      if (parsed.ec != std::errc() || parsed.ptr != last) return integer;
    }
    i = end - 1;
  }
  return std::nullopt;
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
  if (auto integer = integer_out_of_range(text)) {
    return bad_request(fmt::format("the integer {}{} does not fit in 64 bits",
                                   integer->substr(0, 40), integer->size() > 40 ? "..." : ""));
  }
  Poco::Dynamic::Var parsed;
  try {
    // Keeps the publisher's key order: `data` is passed on as it was sent.
    Poco::JSON::Parser parser(new UniqueKeyHandler);
    parser.setDepth(kMaxJsonDepth);
    parsed = parser.parse(text);
  } catch (const UniqueKeyHandler::DuplicateKey& duplicate) {
    return bad_request(fmt::format("the body has the key \"{}\" twice in one object",
                                   printable_ascii(duplicate.key.substr(0, 64))));
  } catch (const Poco::Exception& e) {
    return bad_request(fmt::format("the body is not valid JSON: {}", printable_ascii(e.message())));
  }
  if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
    return bad_request("the body must be a JSON object");
  }
  return parsed.extract<Poco::JSON::Object::Ptr>();
}

// RFC 9110 8.3.1: the type and subtype are case-insensitive, and parameters
// (";charset=utf-8") follow a ';'.
bool is_json_media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  if (type.size() != kJson.size()) return false;
  for (size_t i = 0; i < kJson.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != kJson[i]) return false;
  }
  return true;
}

Result<Poco::JSON::Object::Ptr, ApiError> read_json_object(Exchange& ex, int64_t max_bytes,
                                                           std::chrono::milliseconds time_limit) {
  auto& request = ex.request();
  if (!is_json_media_type(request.getContentType())) {
    ex.response().setKeepAlive(false);  // the body stays unread
    return ApiError{415, "unsupported_media_type",
                    "send the body as 'Content-Type: application/json'", 0,
                    Rejection::kUnsupportedMediaType};
  }
  const bool chunked = request.getChunkedTransferEncoding();
  // Poco 1.11 ends a chunked body, silently, at a chunk-size line it cannot
  // read (over 8 hex digits, or junk): the bytes after it would be read as the
  // next request on this connection. After a chunked body, close instead.
  if (chunked) ex.response().setKeepAlive(false);
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
