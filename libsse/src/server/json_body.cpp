#include "server/json_body.hpp"

#include <cctype>
#include <charconv>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
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

struct DuplicateKey {
  std::string key;
};

// The tree builder of Poco's parser (what Poco::JSON::ParseHandler does, with
// the same value types), building sorted objects and recording each one's
// key order in `key_order`, and refusing a key an object already has. RFC
// 8259 4 leaves duplicates to the receiver, and receivers disagree (Poco
// keeps the last, others the first): a check on one copy and a use of the
// other must never meet, so a body with a duplicate key is refused (I-JSON,
// RFC 7493 2.3). Every step is O(log n) in the keys of the open object.
class JsonBodyBuilder final : public Poco::JSON::Handler {
 public:
  explicit JsonBodyBuilder(JsonBody::KeyOrder& key_order) : key_order_(key_order) {}

  void reset() override {
    open_.clear();
    key_.clear();
    result_.clear();
    key_order_.clear();
  }
  void startObject() override {
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object;  // sorted
    add(object);
    open_.push_back({object, nullptr, &key_order_[object.get()]});
  }
  void endObject() override { open_.pop_back(); }
  void startArray() override {
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    add(array);
    open_.push_back({nullptr, array, nullptr});
  }
  void endArray() override { open_.pop_back(); }
  // Poco's parser calls it only inside an object, before the key's value.
  void key(const std::string& k) override {
    if (open_.empty() || open_.back().object.isNull()) {
      throw Poco::JSON::JSONException("a key outside an object");
    }
    Open& top = open_.back();
    if (top.object->has(k)) throw DuplicateKey{k};
    top.keys->push_back(k);
    key_ = k;
  }
  void null() override { add(Poco::Dynamic::Var()); }
  void value(int v) override { add(v); }
  void value(unsigned v) override { add(v); }
  void value(Poco::Int64 v) override { add(v); }
  void value(Poco::UInt64 v) override { add(v); }
  void value(const std::string& s) override { add(s); }
  void value(double d) override { add(d); }
  void value(bool b) override { add(b); }
  Poco::Dynamic::Var asVar() const override { return result_; }

 private:
  struct Open {  // an object (with its key list) or an array being filled
    Poco::JSON::Object::Ptr object;
    Poco::JSON::Array::Ptr array;
    std::vector<std::string>* keys;
  };

  void add(const Poco::Dynamic::Var& value) {
    if (open_.empty()) {
      result_ = value;
    } else if (!open_.back().array.isNull()) {
      open_.back().array->add(value);
    } else {
      open_.back().object->set(key_, value);
    }
  }

  JsonBody::KeyOrder& key_order_;
  std::vector<Open> open_;
  std::string key_;
  Poco::Dynamic::Var result_;
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

}  // namespace

Result<JsonBodyPtr, ApiError> parse_json_object(const std::string& text) {
  if (!is_valid_utf8(text)) return bad_request("the body is not valid UTF-8");
  if (auto integer = integer_out_of_range(text)) {
    return bad_request(fmt::format("the integer {}{} does not fit in 64 bits",
                                   integer->substr(0, 40), integer->size() > 40 ? "..." : ""));
  }
  JsonBody::KeyOrder key_order;
  Poco::Dynamic::Var parsed;
  try {
    Poco::JSON::Parser parser(new JsonBodyBuilder(key_order));
    parser.setDepth(kMaxJsonDepth);
    parsed = parser.parse(text);
  } catch (const DuplicateKey& duplicate) {
    return bad_request(fmt::format("the body has the key \"{}\" twice in one object",
                                   printable_ascii(duplicate.key.substr(0, 64))));
  } catch (const Poco::Exception& e) {
    return bad_request(fmt::format("the body is not valid JSON: {}", printable_ascii(e.message())));
  }
  if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
    return bad_request("the body must be a JSON object");
  }
  return std::make_shared<const JsonBody>(parsed.extract<Poco::JSON::Object::Ptr>(),
                                          std::move(key_order));
}

std::string JsonBody::compact(const Poco::Dynamic::Var& value) const {
  std::ostringstream out;
  write(value, out);
  return out.str();
}

// What Poco::JSON::Stringifier::condense writes, objects' keys in key_order_.
void JsonBody::write(const Poco::Dynamic::Var& value, std::ostream& out) const {
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    const auto& object = value.extract<Poco::JSON::Object::Ptr>();
    const auto order = key_order_.find(object.get());
    if (order == key_order_.end()) {
      Poco::JSON::Stringifier::condense(value, out);
      return;
    }
    out << '{';
    bool first = true;
    for (const std::string& key : order->second) {
      if (!first) out << ',';
      first = false;
      Poco::JSON::Stringifier::formatString(key, out, Poco::JSON_WRAP_STRINGS);
      out << ':';
      write(object->get(key), out);
    }
    out << '}';
  } else if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
    const auto& array = value.extract<Poco::JSON::Array::Ptr>();
    out << '[';
    for (auto it = array->begin(); it != array->end(); ++it) {
      if (it != array->begin()) out << ',';
      write(*it, out);
    }
    out << ']';
  } else {
    Poco::JSON::Stringifier::condense(value, out);
  }
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

Result<JsonBodyPtr, ApiError> read_json_object(std::string_view content_type,
                                               const std::string& body) {
  if (!is_json_media_type(content_type)) {
    return ApiError{415, "unsupported_media_type",
                    "send the body as 'Content-Type: application/json'", 0,
                    Rejection::kUnsupportedMediaType};
  }
  // RFC 9112 6.3: with neither Content-Length nor chunked, the body is empty.
  if (body.empty()) {
    return bad_request("the body is empty: send it with a Content-Length or chunked");
  }
  return parse_json_object(body);
}

bool FieldReader::present(const std::string& name) const {
  return fields_.has(name) && !fields_.isNull(name);
}

void FieldReader::fail(ApiError error) {
  if (!error_) error_ = std::move(error);
}

std::optional<std::string> FieldReader::optional_string(const std::string& name,
                                                        size_t max_length) {
  if (!present(name)) return std::nullopt;
  const Poco::Dynamic::Var value = fields_.get(name);
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
    const Poco::Dynamic::Var value = fields_.get(name);
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
  const Poco::Dynamic::Var value = fields_.get(name);
  if (!value.isInteger() || value.isBoolean() || value.convert<int64_t>() < 0) {
    fail(bad_request(fmt::format("field '{}' must be a non-negative integer", name)));
    return std::nullopt;
  }
  return value.convert<int64_t>();
}

std::string FieldReader::json_text(const std::string& name) const {
  if (!fields_.has(name)) return "null";
  return body_.compact(fields_.get(name));
}

}  // namespace sse
