#include "http/request_parser.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <string>
#include <utility>

#include "sse/util/ascii.hpp"

namespace sse::http {
namespace {

// Byte classes, one table lookup per byte.
enum : uint8_t {
  kTchar = 1,       // RFC 9110 5.6.2: token characters
  kVisible = 2,     // VCHAR, %x21-7E: what a request target may hold
  kFieldChar = 4,   // RFC 9110 5.5: field-vchar (VCHAR / obs-text), SP, HTAB
  kHexDigit = 8,    // RFC 5234 HEXDIG, either case
  kQuotedText = 16  // RFC 9110 5.6.4: qdtext
};

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> classes{};
  constexpr std::string_view kTcharSymbols = "!#$%&'*+-.^_`|~";
  for (int c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool visible = c >= 0x21 && c <= 0x7E;
    const bool obs_text = c >= 0x80;
    const bool blank = c == ' ' || c == '\t';
    uint8_t flags = 0;
    if (digit || alpha ||
        (visible && kTcharSymbols.find(static_cast<char>(c)) != kTcharSymbols.npos)) {
      flags |= kTchar;
    }
    if (visible) flags |= kVisible;
    if (visible || obs_text || blank) flags |= kFieldChar;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) flags |= kHexDigit;
    if (blank || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) || obs_text) {
      flags |= kQuotedText;
    }
    classes[static_cast<size_t>(c)] = flags;
  }
  return classes;
}

constexpr std::array<uint8_t, 256> kClasses = make_classes();

bool is(char c, uint8_t byte_class) {
  return (kClasses[static_cast<unsigned char>(c)] & byte_class) != 0;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// How many bytes at the start of [p, p + n) are of `byte_class`. Four at a
// time: this loop is most of the parser's time.
size_t span(const char* p, size_t n, uint8_t byte_class) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    if (!is(p[i], byte_class)) return i;
    if (!is(p[i + 1], byte_class)) return i + 1;
    if (!is(p[i + 2], byte_class)) return i + 2;
    if (!is(p[i + 3], byte_class)) return i + 3;
  }
  while (i < n && is(p[i], byte_class)) ++i;
  return i;
}

uint64_t hex_value(char c) {
  if (c <= '9') return static_cast<uint64_t>(c - '0');
  return static_cast<uint64_t>((c | 0x20) - 'a' + 10);
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && ascii_iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// RFC 9110 5.6.1: a #list, its elements trimmed; empty elements are skipped.
template <typename Visit>
void for_each_element(std::string_view list, Visit visit) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view element = trim_blanks(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// RFC 9110 8.6: Content-Length = 1*DIGIT. At most 19 digits, so no overflow.
std::optional<uint64_t> parse_content_length(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

const char* code_for(int status) {
  switch (status) {
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 431:
      return "request_header_fields_too_large";
    case 505:
      return "http_version_not_supported";
    default:
      return "bad_request";
  }
}

// Most bodies fit; a large declared Content-Length is not allocated before
// its bytes arrive.
constexpr uint64_t kMaxBodyReserve = 65536;

}  // namespace

std::optional<std::string_view> RequestHead::get(std::string_view name) const {
  for (const HeaderField& field : fields) {
    if (ascii_iequals(field.name, name)) return std::string_view(field.value);
  }
  return std::nullopt;
}

RequestParser::RequestParser(ParseLimits limits)
    : limits_(limits), head_(std::make_shared<RequestHead>()) {}

size_t RequestParser::feed(std::string_view bytes) {
  size_t used = 0;
  while (used < bytes.size() && (state_ == State::kHead || state_ == State::kBody)) {
    const std::string_view rest = bytes.substr(used);
    if (step_ == Step::kEmptyLine || step_ == Step::kEmptyLineLf) {
      used += scan_empty_lines(rest);
    } else if (counted_) {
      // The head limit fires at the first byte past it, whatever that byte is.
      const size_t room = limits_.max_head_bytes - head_bytes_;
      if (room == 0) {
        fail(431, "the request head is longer than " + std::to_string(limits_.max_head_bytes) +
                      " bytes");
        return used + 1;
      }
      const size_t took = scan(rest.substr(0, room));
      head_bytes_ += took;
      used += took;
    } else {
      used += scan(rest);
    }
  }
  return used;
}

// RFC 9112 2.2: "a server that is expecting to receive and parse a
// request-line SHOULD ignore at least one empty line (CRLF) received prior to
// the request-line". A few are ignored, uncounted; they do not start a request.
size_t RequestParser::scan_empty_lines(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (step_ == Step::kEmptyLineLf) {
      if (c != '\n') {
        fail(400, "a CR is not followed by LF");
        return i + 1;
      }
      step_ = Step::kEmptyLine;
    } else if (c == '\r' || c == '\n') {
      if (empty_lines_ == kMaxLeadingEmptyLines) {
        fail(400, "more than " + std::to_string(kMaxLeadingEmptyLines) +
                      " empty lines precede the request line");
        return i + 1;
      }
      ++empty_lines_;
      if (c == '\r') step_ = Step::kEmptyLineLf;
    } else {
      step_ = Step::kMethod;
      started_ = true;
      counted_ = true;
      return i;
    }
  }
  return bytes.size();
}

// One pass over `bytes`: runs of ordinary bytes are found with a table and
// appended at once; every other byte is looked at once. Returns what it took,
// stopping early at kComplete, kError, or when bytes start or stop counting
// toward max_head_bytes (so that feed() can apply the limit).
size_t RequestParser::scan(std::string_view bytes) {
  const char* const p = bytes.data();
  const size_t n = bytes.size();
  const bool counted = counted_;
  size_t i = 0;
  while (i < n && counted_ == counted && (state_ == State::kHead || state_ == State::kBody)) {
    switch (step_) {
      case Step::kEmptyLine:
      case Step::kEmptyLineLf:
        return i;  // feed() scans these

      // RFC 9112 3: request-line = method SP request-target SP HTTP-version
      case Step::kMethod: {
        const size_t run = span(p + i, n - i, kTchar);
        if (head_->method.size() + run > kMaxMethodBytes) {
          // No method this server knows is longer: do not buffer a stream of
          // token bytes. The byte past the limit is the one consumed last.
          i += kMaxMethodBytes - head_->method.size() + 1;
          fail(400, "the method is longer than " + std::to_string(kMaxMethodBytes) + " bytes");
          break;
        }
        head_->method.append(p + i, run);
        i += run;
        if (i == n) break;
        const char c = p[i++];
        if (c == ' ' && !head_->method.empty()) {
          step_ = Step::kTarget;
        } else if (c == ' ' || c == '\t') {
          fail(400, "the request line starts with whitespace");
        } else if (c == '\r' || c == '\n') {
          fail(400, "the request line has no request target");
        } else {
          fail_byte("a method", c);
        }
        break;
      }
      case Step::kTarget: {
        const size_t run = span(p + i, n - i, kVisible);
        const size_t room = limits_.max_target_bytes - head_->target.size();
        if (run > room) {
          i += room + 1;
          fail(414, "the request target is longer than " +
                        std::to_string(limits_.max_target_bytes) + " bytes");
          break;
        }
        head_->target.append(p + i, run);
        i += run;
        if (i == n) break;
        const char c = p[i++];
        if (c == ' ' && !head_->target.empty()) {
          finish_target();
        } else if (c == ' ') {
          fail(400, "the request line has two spaces in a row");
        } else if (c == '\r' || c == '\n') {
          fail(400, head_->target.empty() ? "the request line has no request target"
                                          : "the request line has no HTTP version");
        } else {
          fail_byte("a request target", c);
        }
        break;
      }
      case Step::kVersion: {
        const char c = p[i++];
        if (c == '\r') {
          line_kind_ = LineKind::kRequestLine;
          step_ = Step::kLf;
        } else if (c == '\n') {
          finish_request_line();
        } else if (version_.size() == 8 || !is(c, kVisible)) {
          fail(400, "the HTTP version is not HTTP/<digit>.<digit> at the end of the request line");
        } else {
          version_.push_back(c);
        }
        break;
      }

      // RFC 9112 2.2: CRLF ends a line, a bare LF may too; a bare CR is invalid.
      case Step::kLf:
        if (p[i++] != '\n') {
          fail(400, "a CR is not followed by LF");
        } else {
          finish_line(line_kind_);
        }
        break;

      // RFC 9112 5: field-line = field-name ":" OWS field-value OWS
      case Step::kFieldStart: {
        const char c = p[i];
        if (c == '\r') {
          ++i;
          line_kind_ = LineKind::kSectionEnd;
          step_ = Step::kLf;
        } else if (c == '\n') {
          ++i;
          if (in_trailers_) {
            fail(400, "a chunked body's last line must end in CRLF");
          } else {
            finish_section();
          }
        } else if (is_blank(c)) {
          ++i;
          // RFC 9112 2.2 (whitespace after the start-line) and 5.2 (obs-fold).
          fail(400, !in_trailers_ && fields_seen_ == 0
                        ? "whitespace between the request line and the first field"
                        : "a field line starts with whitespace (obsolete line folding)");
        } else if (fields_seen_ >= limits_.max_fields) {
          ++i;
          fail(431, "the request has more than " + std::to_string(limits_.max_fields) +
                        " header and trailer fields");
        } else {
          ++fields_seen_;
          start_field();
          step_ = Step::kFieldName;
        }
        break;
      }
      case Step::kFieldName: {
        const size_t run = span(p + i, n - i, kTchar);
        if (!in_trailers_) head_->fields[fields_used_ - 1].name.append(p + i, run);
        name_bytes_ += run;
        i += run;
        if (i == n) break;
        const char c = p[i++];
        if (c == ':' && name_bytes_ > 0) {
          step_ = Step::kFieldValue;
        } else if (c == ':') {
          fail(400, "a field line has an empty name");
        } else if (is_blank(c)) {
          // RFC 9112 5.1: "No whitespace is allowed between the field name and colon."
          fail(400, "whitespace between a field name and its colon");
        } else if (c == '\r' || c == '\n') {
          fail(400, "a field line has no colon");
        } else {
          fail_byte("a field name", c);
        }
        break;
      }
      case Step::kFieldValue: {
        const size_t run = span(p + i, n - i, kFieldChar);
        if (!in_trailers_) {
          std::string& value = head_->fields[fields_used_ - 1].value;
          // Leading OWS is not kept (finish_field trims the trailing OWS):
          // skipped here, it is never copied, nor erased later.
          size_t blanks = 0;
          if (value.empty()) {
            while (blanks < run && is_blank(p[i + blanks])) ++blanks;
          }
          value.append(p + i + blanks, run - blanks);
        }
        i += run;
        if (i == n) break;
        const char c = p[i++];
        if (c == '\r') {
          line_kind_ = LineKind::kField;
          step_ = Step::kLf;
        } else if (c == '\n') {
          if (in_trailers_) {
            fail(400, "a trailer line must end in CRLF");
          } else {
            finish_field();
          }
        } else {
          fail_byte("a field value", c);
        }
        break;
      }

      // RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
      case Step::kChunkSize: {
        const char c = p[i++];
        if (is(c, kHexDigit)) {
          if (chunk_digits_ == 16) {
            fail(400, "a chunk size has more than 16 hex digits");
            break;
          }
          ++chunk_digits_;
          chunk_size_ = chunk_size_ * 16 + hex_value(c);
          if (chunk_size_ > limits_.max_body_bytes - body_.size()) {
            fail(413, "the chunked body is longer than " + std::to_string(limits_.max_body_bytes) +
                          " bytes");
          }
        } else if (chunk_digits_ == 0) {
          fail(400, "a chunk size is not a hex number");
        } else if (c == '\r') {
          line_kind_ = LineKind::kChunkSize;
          step_ = Step::kLf;
        } else if (c == '\n') {
          // A bare LF ends no chunked-body line: a front end that does not take
          // it for a line end would frame the body differently (smuggling).
          fail(400, "a chunk-size line must end in CRLF");
        } else if (c == ';' || is_blank(c)) {
          step_ = Step::kChunkExtBws;
          chunk_extension_byte(c);
        } else {
          fail_byte("a chunk size", c);
        }
        break;
      }
      case Step::kChunkExtBws:
      case Step::kChunkExtNameStart:
      case Step::kChunkExtName:
      case Step::kChunkExtAfterName:
      case Step::kChunkExtValueStart:
      case Step::kChunkExtToken:
      case Step::kChunkExtQuoted:
      case Step::kChunkExtQuotedPair:
      case Step::kChunkExtAfterQuoted: {
        const char c = p[i++];
        const bool quoting = step_ == Step::kChunkExtQuoted || step_ == Step::kChunkExtQuotedPair;
        if ((c == '\r' || c == '\n') && !quoting) {
          // The line may end after a name or a value, not after whitespace,
          // ';' or '='.
          if (step_ != Step::kChunkExtName && step_ != Step::kChunkExtToken &&
              step_ != Step::kChunkExtAfterQuoted) {
            fail(400, "a chunk-size line ends inside a chunk extension or with whitespace");
          } else if (c == '\r') {
            line_kind_ = LineKind::kChunkSize;
            step_ = Step::kLf;
          } else {
            fail(400, "a chunk-size line must end in CRLF");
          }
        } else {
          chunk_extension_byte(c);
        }
        break;
      }
      case Step::kChunkData: {
        const size_t run = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
        body_.append(p + i, run);
        i += run;
        remaining_ -= run;
        if (remaining_ == 0) step_ = Step::kChunkDataEnd;
        break;
      }
      case Step::kChunkDataEnd:
        // Exactly CRLF: a bare LF here is where chunked parsers disagree
        // (request smuggling), so it is not accepted.
        if (p[i++] != '\r') {
          fail(400, "a chunk's data is not followed by CRLF");
        } else {
          line_kind_ = LineKind::kChunkData;
          step_ = Step::kLf;
        }
        break;

      // RFC 9112 6.2: exactly Content-Length bytes.
      case Step::kLengthBody: {
        const size_t run = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
        body_.append(p + i, run);
        i += run;
        remaining_ -= run;
        if (remaining_ == 0) state_ = State::kComplete;
        break;
      }
    }
  }
  return i;
}

// RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name
//                                [ BWS "=" BWS chunk-ext-val ] )
// chunk-ext-val = token / quoted-string. Checked, then ignored.
void RequestParser::chunk_extension_byte(char c) {
  if (++extension_bytes_ > kMaxChunkExtensionBytes) {
    fail(400, "the chunk extensions of a chunk-size line are longer than " +
                  std::to_string(kMaxChunkExtensionBytes) + " bytes");
    return;
  }
  const bool blank = is_blank(c);
  switch (step_) {
    case Step::kChunkExtBws:
      if (blank) return;
      if (c == ';') return void(step_ = Step::kChunkExtNameStart);
      break;
    case Step::kChunkExtNameStart:
      if (blank) return;
      if (is(c, kTchar)) return void(step_ = Step::kChunkExtName);
      break;
    case Step::kChunkExtName:
      if (is(c, kTchar)) return;
      if (blank) return void(step_ = Step::kChunkExtAfterName);
      if (c == '=') return void(step_ = Step::kChunkExtValueStart);
      if (c == ';') return void(step_ = Step::kChunkExtNameStart);
      break;
    case Step::kChunkExtAfterName:
      if (blank) return;
      if (c == '=') return void(step_ = Step::kChunkExtValueStart);
      if (c == ';') return void(step_ = Step::kChunkExtNameStart);
      break;
    case Step::kChunkExtValueStart:
      if (blank) return;
      if (is(c, kTchar)) return void(step_ = Step::kChunkExtToken);
      if (c == '"') return void(step_ = Step::kChunkExtQuoted);
      break;
    case Step::kChunkExtToken:
      if (is(c, kTchar)) return;
      if (blank) return void(step_ = Step::kChunkExtBws);
      if (c == ';') return void(step_ = Step::kChunkExtNameStart);
      break;
    case Step::kChunkExtQuoted:
      if (c == '"') return void(step_ = Step::kChunkExtAfterQuoted);
      if (c == '\\') return void(step_ = Step::kChunkExtQuotedPair);
      if (is(c, kQuotedText)) return;
      break;
    case Step::kChunkExtQuotedPair:
      // RFC 9110 5.6.4: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      if (is(c, kFieldChar)) return void(step_ = Step::kChunkExtQuoted);
      break;
    case Step::kChunkExtAfterQuoted:
      if (blank) return void(step_ = Step::kChunkExtBws);
      if (c == ';') return void(step_ = Step::kChunkExtNameStart);
      break;
    default:
      break;
  }
  fail_byte("a chunk extension", c);
}

// Reuses the slots (and string capacity) of the last request's fields.
void RequestParser::start_field() {
  name_bytes_ = 0;
  if (in_trailers_) return;
  if (fields_used_ == head_->fields.size()) {
    head_->fields.emplace_back();
  } else {
    head_->fields[fields_used_].name.clear();
    head_->fields[fields_used_].value.clear();
  }
  ++fields_used_;
}

void RequestParser::finish_line(LineKind kind) {
  switch (kind) {
    case LineKind::kRequestLine:
      return finish_request_line();
    case LineKind::kField:
      return finish_field();
    case LineKind::kSectionEnd:
      return finish_section();
    case LineKind::kChunkSize:
      return finish_chunk_size();
    case LineKind::kChunkData:
      chunk_size_ = 0;
      chunk_digits_ = 0;
      extension_bytes_ = 0;
      step_ = Step::kChunkSize;
      return;
  }
}

// RFC 9112 3.2: request-target = origin-form / absolute-form / authority-form
// / asterisk-form; authority-form is for CONNECT, which is not served.
void RequestParser::finish_target() {
  std::string& target = head_->target;
  step_ = Step::kVersion;
  if (target.front() == '/') return;  // 3.2.1 origin-form
  if (target == "*") {                // 3.2.4 asterisk-form
    if (head_->method != "OPTIONS") fail(400, "the request target * is allowed only with OPTIONS");
    return;
  }
  // 3.2.2 absolute-form: reduced to origin-form; RFC 3986 3.1, the scheme
  // is case-insensitive.
  const size_t scheme = istarts_with(target, "http://")    ? 7
                        : istarts_with(target, "https://") ? 8
                                                           : 0;
  if (scheme == 0) {
    return fail(400, "the request target is not a path, an absolute http(s) URI or *");
  }
  const size_t authority_end = std::min(target.find_first_of("/?#", scheme), target.size());
  // RFC 9110 4.2.1: an http(s) URI with an empty host is invalid.
  if (authority_end == scheme) return fail(400, "the absolute request target has no host");
  // RFC 9110 4.2.4: userinfo in an http(s) URI is to be treated as an error.
  if (target.find('@', scheme) < authority_end) {
    return fail(400, "the absolute request target has userinfo");
  }
  head_->authority.assign(target, scheme, authority_end - scheme);
  target.erase(0, authority_end);
  // RFC 9112 3.2.4 (and 3.3): an empty path is "/".
  if (target.empty() || target.front() != '/') target.insert(0, 1, '/');
}

// RFC 9112 2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive.
void RequestParser::finish_request_line() {
  step_ = Step::kFieldStart;
  if (version_ == "HTTP/1.1") {
    head_->minor_version = 1;
  } else if (version_ == "HTTP/1.0") {
    head_->minor_version = 0;
  } else if (version_.size() == 8 && version_.compare(0, 5, "HTTP/") == 0 && version_[5] >= '0' &&
             version_[5] <= '9' && version_[6] == '.' && version_[7] >= '0' && version_[7] <= '9') {
    fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  } else {
    fail(400, "the HTTP version is not HTTP/<digit>.<digit> at the end of the request line");
  }
}

void RequestParser::finish_field() {
  step_ = Step::kFieldStart;
  if (in_trailers_) return;
  // The value starts at its first byte that is not OWS (see kFieldValue).
  std::string& value = head_->fields[fields_used_ - 1].value;
  size_t end = value.size();
  while (end > 0 && is_blank(value[end - 1])) --end;
  value.resize(end);
}

void RequestParser::finish_section() {
  if (in_trailers_) {
    state_ = State::kComplete;  // RFC 9112 7.1.2: trailer fields are not kept
  } else {
    finish_head();
  }
}

// The head is complete: the fields that decide framing and the connection.
void RequestParser::finish_head() {
  counted_ = false;
  head_->fields.resize(fields_used_);
  int hosts = 0;
  int lengths = 0;
  int codings = 0;
  std::string_view length;
  std::string_view coding;
  bool close = false;
  bool keep_alive = false;
  bool expect_continue = false;
  for (const HeaderField& field : head_->fields) {
    // By length first: most fields are none of these.
    switch (field.name.size()) {
      case 4:
        if (ascii_iequals(field.name, "Host")) ++hosts;
        break;
      case 6:
        if (ascii_iequals(field.name, "Expect")) {
          for_each_element(field.value, [&](std::string_view expectation) {
            if (ascii_iequals(expectation, "100-continue")) expect_continue = true;
          });
        }
        break;
      case 10:
        if (ascii_iequals(field.name, "Connection")) {
          for_each_element(field.value, [&](std::string_view option) {
            if (ascii_iequals(option, "close")) close = true;
            if (ascii_iequals(option, "keep-alive")) keep_alive = true;
          });
        }
        break;
      case 14:
        if (ascii_iequals(field.name, "Content-Length")) {
          ++lengths;
          length = field.value;
        }
        break;
      case 17:
        if (ascii_iequals(field.name, "Transfer-Encoding")) {
          ++codings;
          coding = field.value;
        }
        break;
      default:
        break;
    }
  }
  const bool http10 = head_->minor_version == 0;

  // RFC 9112 3.2: 400 for "more than one Host header field line".
  if (hosts > 1) return fail(400, "more than one Host header");
  // RFC 9112 6.1 / 6.3: only chunked is understood, and a repeated or
  // combined coding ("gzip, chunked", "chunked, chunked") is not.
  if (codings > 1) return fail(400, "more than one Transfer-Encoding header");
  if (codings == 1 && !ascii_iequals(coding, "chunked")) {
    return fail(400, "the only supported Transfer-Encoding is chunked");
  }
  // RFC 9112 6.1: HTTP/1.0 has no transfer codings; trusting one is smuggling.
  if (codings == 1 && http10) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  // RFC 9112 6.3: repeated Content-Length, even equal, is rejected here.
  if (lengths > 1) return fail(400, "more than one Content-Length header");
  if (codings == 1 && lengths == 1) return fail(400, "both Transfer-Encoding and Content-Length");

  // RFC 9112 9.3: persistence; RFC 9110 10.1.1: 100-continue is ignored in 1.0.
  head_->keep_alive = !close && (!http10 || keep_alive);
  head_->expect_continue = expect_continue && !http10;

  if (codings == 1) {
    head_->framing = BodyFraming::kChunked;
    chunk_size_ = 0;
    chunk_digits_ = 0;
    extension_bytes_ = 0;
    state_ = State::kBody;
    step_ = Step::kChunkSize;
    return;
  }
  if (lengths == 1) {
    const std::optional<uint64_t> value = parse_content_length(length);
    if (!value) return fail(400, "Content-Length is not a number of at most 19 decimal digits");
    if (*value > limits_.max_body_bytes) {
      return fail(413, "Content-Length is over the body limit of " +
                           std::to_string(limits_.max_body_bytes) + " bytes");
    }
    head_->framing = BodyFraming::kLength;
    head_->content_length = *value;
    remaining_ = *value;
    if (remaining_ == 0) {
      state_ = State::kComplete;
      return;
    }
    body_.reserve(static_cast<size_t>(std::min(*value, kMaxBodyReserve)));
    state_ = State::kBody;
    step_ = Step::kLengthBody;
    return;
  }
  // RFC 9112 6.3 step 7: a request with neither has no body.
  state_ = State::kComplete;
}

void RequestParser::finish_chunk_size() {
  if (chunk_size_ == 0) {  // RFC 9112 7.1: last-chunk, then the trailer section
    in_trailers_ = true;
    counted_ = true;
    step_ = Step::kFieldStart;
    return;
  }
  remaining_ = chunk_size_;
  step_ = Step::kChunkData;
}

void RequestParser::fail(int status, std::string message) {
  state_ = State::kError;
  error_.status = status;
  error_.code = code_for(status);
  error_.message = std::move(message);
}

void RequestParser::fail_byte(std::string_view what, char c) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(c);
  std::string message = "byte 0x";
  message += kHex[byte >> 4];
  message += kHex[byte & 0xF];
  message += " is not allowed in ";
  message += what;
  fail(400, std::move(message));
}

std::string RequestParser::take_body() {
  std::string body = std::move(body_);
  body_.clear();
  return body;
}

uint64_t RequestParser::body_bytes_expected() const {
  return state_ == State::kBody ? remaining_ : 0;
}

void RequestParser::reset() {
  if (!head_ || head_.use_count() > 1) {
    // A handler still holds the last head (it answers later), or the parser
    // was moved from: the next head gets storage of its own.
    head_ = std::make_shared<RequestHead>();
  } else {
    // Every other holder has let go. What they read came before their
    // release (a shared_ptr's count is decremented acquire-release); the
    // fence orders it before the writes below.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  state_ = State::kHead;
  step_ = Step::kEmptyLine;
  line_kind_ = LineKind::kRequestLine;
  started_ = false;
  counted_ = false;
  in_trailers_ = false;
  empty_lines_ = 0;
  head_bytes_ = 0;
  fields_seen_ = 0;
  fields_used_ = 0;  // head_->fields keeps its slots until the next head completes
  name_bytes_ = 0;
  version_.clear();
  remaining_ = 0;
  chunk_size_ = 0;
  chunk_digits_ = 0;
  extension_bytes_ = 0;
  head_->method.clear();
  head_->target.clear();
  head_->authority.clear();
  head_->minor_version = 1;
  head_->framing = BodyFraming::kNone;
  head_->content_length = 0;
  head_->keep_alive = true;
  head_->expect_continue = false;
  body_.clear();
  error_ = ParseError{};
}

}  // namespace sse::http
