#include "server/json_body.hpp"

#include <locale.h>
#include <stdlib.h>
#include <algorithm>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "sse/util/ascii.hpp"
#include "sse/util/json.hpp"

namespace sse {
namespace {

constexpr size_t kMaxJsonDepth = 32;
// The keys of an object a scan checks as they come; an object of more is
// checked by sorting its keys when it closes.
constexpr size_t kKeysScanned = 8;
// Room for the keys of a typical body, reserved up front (no regrowth).
constexpr size_t kKeysReserved = 16;
// The most key slots a thread's scratch keeps between bodies.
constexpr size_t kKeysKept = 1024;

// A byte of the body echoed in an error message: as itself when printable
// ASCII, else \xHH, so the JSON error body stays valid UTF-8.
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

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at `at` (the caller has checked they are there).
uint32_t hex4(std::string_view text, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i)
    value = (value << 4) | static_cast<uint32_t>(hex_value(text[at + i]));
  return value;
}

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Decodes the string literal `literal` (quotes included), which the parser
// has checked: every escape is complete and every surrogate paired.
std::string decode_string(std::string_view literal) {
  const std::string_view inner = literal.substr(1, literal.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);  // nothing to decode
  std::string out;
  out.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    const char escape = inner[++i];
    switch (escape) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code_point = hex4(inner, i + 1);
        i += 4;
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {  // the pair's low half follows
          const uint32_t low = hex4(inner, i + 3);
          code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        append_utf8(out, code_point);
        break;
      }
      default:  // '"', '\\', '/'
        out += escape;
    }
  }
  return out;
}

}  // namespace

// One pass over the text: checks the grammar and the rules parse_json_object
// names, and records the top-level members. Recursive in the nesting (at most
// kMaxJsonDepth deep).
class JsonBodyParser {
 public:
  explicit JsonBodyParser(JsonBody& body) : body_(body), text_(body.text_), keys_(key_scratch()) {
    keys_.clear();
    body_.members_.reserve(kKeysReserved);
  }
  ~JsonBodyParser() {
    // A body of many keys leaves no lasting footprint on the thread.
    if (keys_.capacity() > kKeysKept) std::vector<std::string_view>().swap(keys_);
  }
  JsonBodyParser(const JsonBodyParser&) = delete;
  JsonBodyParser& operator=(const JsonBodyParser&) = delete;

  std::optional<ApiError> parse() {
    skip_whitespace();
    if (at_ >= text_.size() || text_[at_] != '{') {
      return bad_request("the body must be a JSON object");
    }
    if (!object(1)) return std::move(error_);
    skip_whitespace();
    if (at_ < text_.size()) {
      fail_syntax("more after the object");
      return std::move(error_);
    }
    return std::nullopt;
  }

 private:
  using Kind = JsonBody::Kind;

  static std::vector<std::string_view>& key_scratch() {
    thread_local std::vector<std::string_view> keys;
    return keys;
  }

  bool fail(std::string message) {
    if (!error_) error_ = bad_request(std::move(message));
    return false;
  }
  bool fail_syntax(std::string_view what) {
    if (at_ >= text_.size()) {
      return fail(fmt::format("the body is not valid JSON: it ends early ({})", what));
    }
    return fail(fmt::format("the body is not valid JSON: {} at byte {} ('{}')", what, at_,
                            printable_ascii(text_.substr(at_, 1))));
  }

  void skip_whitespace() {
    while (at_ < text_.size() && is_whitespace(text_[at_])) ++at_;
  }
  bool take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }

  // One value at `depth` (the top object is depth 1); `kind` says what it was.
  bool value(size_t depth, Kind& kind) {
    if (at_ >= text_.size()) return fail_syntax("a value was expected");
    switch (text_[at_]) {
      case '{':
        kind = Kind::kObject;
        return object(depth + 1);
      case '[':
        kind = Kind::kArray;
        return array(depth + 1);
      case '"':
        kind = Kind::kString;
        return string();
      case 't':
        kind = Kind::kTrue;
        return literal("true");
      case 'f':
        kind = Kind::kFalse;
        return literal("false");
      case 'n':
        kind = Kind::kNull;
        return literal("null");
      default:
        return number(kind);
    }
  }

  bool nested_too_deep(size_t depth) {
    if (depth <= kMaxJsonDepth) return false;
    fail(fmt::format("the body is nested deeper than {} levels", kMaxJsonDepth));
    return true;
  }

  bool object(size_t depth) {
    if (nested_too_deep(depth)) return false;
    ++at_;  // '{'
    const bool top = depth == 1;
    Keys keys(*this);
    skip_whitespace();
    if (take('}')) return true;
    for (;;) {
      skip_whitespace();
      if (at_ >= text_.size() || text_[at_] != '"') return fail_syntax("a key was expected");
      const size_t key_begin = at_;
      if (!string()) return false;
      const std::string_view key = keys.add(text_.substr(key_begin, at_ - key_begin));
      if (key.data() == nullptr) return duplicate_key(keys.last());
      skip_whitespace();
      if (!take(':')) return fail_syntax("':' was expected after a key");
      skip_whitespace();
      const size_t value_begin = at_;
      Kind kind = Kind::kNull;
      if (!value(depth, kind)) return false;
      if (top) {
        body_.members_.push_back({std::string(key), kind, static_cast<uint32_t>(value_begin),
                                  static_cast<uint32_t>(at_)});
      }
      skip_whitespace();
      if (take('}')) {
        if (auto twice = keys.unscanned_duplicate()) return duplicate_key(*twice);
        return true;
      }
      if (!take(',')) return fail_syntax("',' or '}' was expected after a member");
    }
  }

  bool array(size_t depth) {
    if (nested_too_deep(depth)) return false;
    ++at_;  // '['
    skip_whitespace();
    if (take(']')) return true;
    for (;;) {
      skip_whitespace();
      Kind kind = Kind::kNull;
      if (!value(depth, kind)) return false;
      skip_whitespace();
      if (take(']')) return true;
      if (!take(',')) return fail_syntax("',' or ']' was expected after an element");
    }
  }

  bool literal(std::string_view word) {
    if (text_.compare(at_, word.size(), word) != 0) return fail_syntax("a value was expected");
    at_ += word.size();
    return true;
  }

  // A string literal at at_ (its opening quote). The text is valid UTF-8
  // already; what is left to check is control bytes, escapes and surrogates.
  bool string() {
    ++at_;
    for (;;) {
      if (at_ >= text_.size()) return fail_syntax("a string is not closed");
      const auto c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return true;
      }
      if (c < 0x20) return fail_syntax("a control byte must be escaped in a string");
      if (c != '\\') {
        ++at_;
        continue;
      }
      if (at_ + 1 >= text_.size()) return fail_syntax("a string is not closed");
      const char escape = text_[at_ + 1];
      if (escape == 'u') {
        if (!unicode_escape()) return false;
        continue;
      }
      if (std::string_view("\"\\/bfnrt").find(escape) == std::string_view::npos) {
        ++at_;
        return fail_syntax("not an escape");
      }
      at_ += 2;
    }
  }

  // \uXXXX at at_, or a surrogate pair \uD8xx\uDCxx (RFC 8259 7).
  bool unicode_escape() {
    auto four_hex_at = [&](size_t at) {
      if (at + 4 > text_.size()) return false;
      for (size_t i = 0; i < 4; ++i) {
        if (hex_value(text_[at + i]) < 0) return false;
      }
      return true;
    };
    if (!four_hex_at(at_ + 2)) return fail_syntax("\\u must have four hex digits");
    const uint32_t unit = hex4(text_, at_ + 2);
    const size_t escape_at = at_;
    at_ += 6;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return lone_surrogate(escape_at);
    if (unit < 0xD800 || unit > 0xDBFF) return true;
    if (at_ + 1 < text_.size() && text_[at_] == '\\' && text_[at_ + 1] == 'u' &&
        four_hex_at(at_ + 2)) {
      const uint32_t low = hex4(text_, at_ + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        at_ += 6;
        return true;
      }
    }
    return lone_surrogate(escape_at);
  }
  bool lone_surrogate(size_t escape_at) {
    return fail(fmt::format("the body is not valid JSON: {} at byte {} is half of a surrogate pair",
                            text_.substr(escape_at, 6), escape_at));
  }

  // RFC 8259 6: number = [ "-" ] int [ frac ] [ exp ].
  bool number(Kind& kind) {
    const size_t begin = at_;
    take('-');
    if (take('0')) {
      // a leading zero is the whole int part
    } else if (at_ < text_.size() && text_[at_] >= '1' && text_[at_] <= '9') {
      while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    } else {
      return fail_syntax(at_ == begin ? "a value was expected" : "a digit was expected");
    }
    bool integer = true;
    if (take('.')) {
      integer = false;
      if (!digits()) return false;
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      integer = false;
      ++at_;
      if (!take('+')) take('-');
      if (!digits()) return false;
    }
    const std::string_view written = text_.substr(begin, at_ - begin);
    kind = integer ? Kind::kInteger : Kind::kNumber;
    return integer ? integer_fits(written) : double_fits(written);
  }
  bool digits() {
    if (at_ >= text_.size() || !is_digit(text_[at_])) return fail_syntax("a digit was expected");
    while (at_ < text_.size() && is_digit(text_[at_])) ++at_;
    return true;
  }

  // Readers disagree on integers past 64 bits (Poco 1.11 reads 2^64 as 0):
  // such a number is refused rather than read differently downstream.
  bool integer_fits(std::string_view written) {
    const char* first = written.data();
    const char* last = first + written.size();
    std::from_chars_result parsed;
    if (written.front() == '-') {
      int64_t value;
      parsed = std::from_chars(first, last, value);
    } else {
      uint64_t value;
      parsed = std::from_chars(first, last, value);
    }
    if (parsed.ec == std::errc() && parsed.ptr == last) return true;
    return fail(fmt::format("the integer {}{} does not fit in 64 bits", written.substr(0, 40),
                            written.size() > 40 ? "..." : ""));
  }
  // A number past a double's range (1e400) has no value a reader can agree
  // on; underflow (1e-400) reads as 0 everywhere and is accepted.
  bool double_fits(std::string_view written) {
    // strtod_l in the C locale: a process locale with a decimal comma must
    // not change what "1.5e400" reads as.
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
    const std::string copy(written);  // strtod wants a terminator
    const double value = strtod_l(copy.c_str(), nullptr, c_locale);
    if (!std::isinf(value)) return true;
    return fail(fmt::format("the number {}{} is beyond the range of a double",
                            written.substr(0, 40), written.size() > 40 ? "..." : ""));
  }

  // The keys of one object, for the duplicate check (RFC 7493 2.3: readers
  // disagree on which copy wins, so a check on one copy and a use of the
  // other must never meet). Keys compare decoded ("a" and "\u0061" are the
  // same key). A small object's keys are checked by a scan as they come; a
  // larger one's by sorting them when it closes: O(k log k) whatever the
  // keys are (a hash set could be flooded with keys of one bucket). Shares
  // the parser's key stack with the objects around it.
  class Keys {
   public:
    explicit Keys(JsonBodyParser& parser) : parser_(parser), first_(parser.keys_.size()) {}
    ~Keys() { parser_.keys_.resize(first_); }
    Keys(const Keys&) = delete;
    Keys& operator=(const Keys&) = delete;

    // Adds the key written as `literal`; its decoded text, or a null view
    // when the scan finds it already (last() is then that key).
    std::string_view add(std::string_view literal) {
      std::string_view key = literal.substr(1, literal.size() - 2);
      if (key.find('\\') != std::string_view::npos) {
        key = parser_.decoded_keys_.emplace_back(decode_string(literal));
      }
      last_ = key;
      std::vector<std::string_view>& all = parser_.keys_;
      if (all.size() - first_ < kKeysScanned) {
        for (size_t i = first_; i < all.size(); ++i) {
          if (all[i] == key) return {};
        }
      }
      all.push_back(key);
      return key;
    }
    std::string_view last() const { return last_; }

    // Once the object is closed: a key it has twice that the scan did not
    // cover, or nullopt.
    std::optional<std::string_view> unscanned_duplicate() const {
      const std::vector<std::string_view>& all = parser_.keys_;
      if (all.size() - first_ <= kKeysScanned) return std::nullopt;
      std::vector<std::string_view> sorted(all.begin() + static_cast<std::ptrdiff_t>(first_),
                                           all.end());
      std::sort(sorted.begin(), sorted.end());
      const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
      if (twice == sorted.end()) return std::nullopt;
      return *twice;
    }

   private:
    JsonBodyParser& parser_;
    const size_t first_;  // this object's keys are keys_[first_..]
    std::string_view last_;
  };

  bool duplicate_key(std::string_view key) {
    return fail(fmt::format("the body has the key \"{}\" twice in one object",
                            printable_ascii(key.substr(0, 64))));
  }

  JsonBody& body_;
  const std::string_view text_;
  size_t at_ = 0;
  std::optional<ApiError> error_;
  // The open objects' keys, innermost last: this thread's scratch vector,
  // which keeps its capacity from one body to the next (a parse runs to its
  // end before another starts on the same thread).
  std::vector<std::string_view>& keys_;
  // Keys that had escapes (stable addresses). A list: it allocates nothing
  // until a key needs one, which most bodies never do.
  std::list<std::string> decoded_keys_;
};

const JsonBody::Member* JsonBody::find(std::string_view name) const {
  for (const Member& member : members_) {
    if (member.name == name) return &member;
  }
  return nullptr;
}

std::string JsonBody::compact(const Member& member) const {
  const std::string_view value(text_.data() + member.begin, member.end - member.begin);
  std::string out;
  out.reserve(value.size());
  // Runs of bytes between the whitespace outside strings go in one append.
  size_t run = 0;  // where the current run began
  bool in_string = false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped byte is the string's, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
    } else if (is_whitespace(c)) {
      out.append(value, run, i - run);
      run = i + 1;
    } else {
      in_string = c == '"';
    }
  }
  out.append(value, run, value.size() - run);
  return out;
}

std::string JsonBody::string_value(const Member& member) const {
  return decode_string(std::string_view(text_.data() + member.begin, member.end - member.begin));
}

Result<JsonBody, ApiError> parse_json_object(std::string text) {
  if (!is_valid_utf8(text)) return bad_request("the body is not valid UTF-8");
  if (text.size() > UINT32_MAX) return bad_request("the body is too large");
  JsonBody body;
  body.text_ = std::move(text);
  if (auto error = JsonBodyParser(body).parse()) return std::move(*error);
  return body;
}

// RFC 9110 8.3.1: the type and subtype are case-insensitive, and parameters
// (";charset=utf-8") follow a ';'.
bool is_json_media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return ascii_iequals(type, "application/json");
}

Result<JsonBody, ApiError> read_json_object(std::string_view content_type, std::string body) {
  if (!is_json_media_type(content_type)) {
    return ApiError{415, "unsupported_media_type",
                    "send the body as 'Content-Type: application/json'", 0,
                    Rejection::kUnsupportedMediaType};
  }
  // RFC 9112 6.3: with neither Content-Length nor chunked, the body is empty.
  if (body.empty()) {
    return bad_request("the body is empty: send it with a Content-Length or chunked");
  }
  return parse_json_object(std::move(body));
}

const JsonBody::Member* FieldReader::present(std::string_view name) const {
  const JsonBody::Member* member = body_.find(name);
  if (!member || member->kind == JsonBody::Kind::kNull) return nullptr;
  return member;
}

void FieldReader::fail(ApiError error) {
  if (!error_) error_ = std::move(error);
}

std::optional<std::string> FieldReader::optional_string(std::string_view name, size_t max_length) {
  return string_of(present(name), name, max_length);
}

std::optional<std::string> FieldReader::string_of(const JsonBody::Member* member,
                                                  std::string_view name, size_t max_length) {
  if (!member) return std::nullopt;
  if (member->kind != JsonBody::Kind::kString) {
    fail(bad_request(fmt::format("field '{}' must be a string", name)));
    return std::nullopt;
  }
  std::string text = body_.string_value(*member);
  if (text.size() > max_length) {
    fail(bad_request(fmt::format("field '{}' is longer than {} bytes", name, max_length)));
    return std::nullopt;
  }
  return text;
}

std::string FieldReader::required_string(std::string_view name, size_t max_length) {
  const JsonBody::Member* member = present(name);
  if (!member) {
    fail(bad_request(fmt::format("missing field '{}'", name)));
    return {};
  }
  std::optional<std::string> text = string_of(member, name, max_length);
  if (text && text->empty()) fail(bad_request(fmt::format("field '{}' must not be empty", name)));
  return text.value_or("");
}

std::string FieldReader::required_id(std::string_view name, size_t max_length) {
  std::string id;
  if (const JsonBody::Member* member = present(name)) {
    if (member->kind == JsonBody::Kind::kString) {
      id = body_.string_value(*member);
    } else if (member->kind == JsonBody::Kind::kInteger) {
      id = body_.text().substr(member->begin, member->end - member->begin);
      if (id == "-0") id = "0";  // the one integer with two spellings
    }
  }
  if (id.empty()) {
    fail(bad_request(fmt::format("missing field '{}' (a string or an integer)", name)));
  } else if (id.size() > max_length) {
    fail(bad_request(fmt::format("field '{}' is longer than {} bytes", name, max_length)));
  }
  return id;
}

std::optional<int64_t> FieldReader::optional_non_negative_integer(std::string_view name) {
  const JsonBody::Member* member = present(name);
  if (!member) return std::nullopt;
  int64_t value = -1;
  if (member->kind == JsonBody::Kind::kInteger) {
    const char* first = body_.text().data() + member->begin;
    const char* last = body_.text().data() + member->end;
    if (std::from_chars(first, last, value).ec != std::errc()) value = -1;  // 2^63 or more
  }
  if (value < 0) {
    fail(bad_request(fmt::format("field '{}' must be a non-negative integer", name)));
    return std::nullopt;
  }
  return value;
}

std::string FieldReader::json_text(std::string_view name) const {
  const JsonBody::Member* member = body_.find(name);
  return member ? body_.compact(*member) : "null";
}

}  // namespace sse
