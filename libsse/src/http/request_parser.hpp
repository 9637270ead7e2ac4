#pragma once

// A strict, incremental HTTP/1.1 request parser (RFC 9112) for the server's
// event loops. Bytes go in as they arrive, in pieces of any size; out come the
// request head, the decoded body, or a ParseError that carries the status to
// answer with before closing the connection.
//
// Strict means: anything RFC 9112 lets a server reject is rejected (bare CR,
// obs-fold, whitespace before a colon, two Content-Lengths, Transfer-Encoding
// other than chunked, ...), because a front proxy that reads such a message
// differently is how requests get smuggled.
//
// The outcome (state, head, body, error and the total of what feed() took)
// depends only on the bytes, never on how they were split across feed()
// calls: every check happens at a fixed byte, and a byte limit fires at the
// first byte past it (before the line ends). Each byte is looked at once; a
// head trickled one byte per feed() costs what it costs in one piece.
//
// Not thread-safe; one parser per connection. Move-only: its head may be
// shared with the handler of the request it belongs to (share_head()).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse::http {

struct HeaderField {
  std::string name;   // as sent (case kept)
  std::string value;  // leading and trailing SP/HTAB removed
};

enum class BodyFraming { kNone, kLength, kChunked };

struct RequestHead {
  std::string method;  // a token, case-sensitive ("GET", "HEAD", "POST", ...)
  // Origin-form "/path?query". An absolute-form target (http://host/p?q) is
  // reduced to "/p?q" ("/" when it has no path); "*" is kept (OPTIONS only).
  std::string target;
  // The authority of an absolute-form target ("host:port"), else empty. RFC
  // 9112 3.2.2: when set, it, not the Host field, names the host.
  std::string authority;
  int minor_version = 1;  // HTTP/1.<minor>: 0 or 1
  std::vector<HeaderField> fields;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;  // with kLength
  // HTTP/1.1: unless "Connection: close"; HTTP/1.0: only with "Connection:
  // keep-alive" (RFC 9112 9.3). Tokens of every Connection field, any case.
  bool keep_alive = true;
  // "Expect: 100-continue" in an HTTP/1.1 request (RFC 9110 10.1.1: ignored
  // in HTTP/1.0).
  bool expect_continue = false;

  // The value of the first field with this name (case-insensitive), or
  // nullopt. The view lives as long as this head (until the parser's reset()).
  std::optional<std::string_view> get(std::string_view name) const;
};

struct ParseLimits {
  size_t max_head_bytes = 32768;    // request line + fields + trailers, incl. CRLFs -> 431
  size_t max_target_bytes = 8192;   // -> 414
  size_t max_fields = 100;          // header and trailer fields together -> 431
  uint64_t max_body_bytes = 65536;  // Content-Length, or decoded chunked data -> 413
};

struct ParseError {
  int status = 400;  // 400, 413, 414, 431 or 505
  // "bad_request", "payload_too_large", "uri_too_long",
  // "request_header_fields_too_large", "http_version_not_supported"
  std::string code;
  // One ASCII sentence naming the broken rule. It never contains bytes the
  // client sent (a bad byte is named by its hex value), so it can go into a
  // response body as it is.
  std::string message;
};

class RequestParser {
 public:
  // Bytes of chunk extensions allowed on one chunk-size line (else 400).
  static constexpr size_t kMaxChunkExtensionBytes = 4096;
  // Empty lines ignored before a request line (RFC 9112 2.2); one more is 400.
  static constexpr int kMaxLeadingEmptyLines = 4;
  static constexpr size_t kMaxMethodBytes = 32;

  explicit RequestParser(ParseLimits limits = {});
  // A moved-from parser has no head: it may only be assigned to or destroyed.
  RequestParser(RequestParser&&) noexcept = default;
  RequestParser& operator=(RequestParser&&) noexcept = default;
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  enum class State { kHead, kBody, kComplete, kError };

  // Consumes bytes of the current request and returns how many it took. It
  // takes everything up to the end of the request, so bytes past it (the next
  // pipelined request) are left to the caller, to feed again after reset().
  // Once kComplete or kError it takes nothing. The byte that shows an error
  // is counted as taken. Empty input is fine. The bytes are copied as needed;
  // the caller may discard them once feed() returns.
  size_t feed(std::string_view bytes);

  State state() const { return state_; }
  // state() is kBody or kComplete.
  bool head_complete() const { return state_ == State::kBody || state_ == State::kComplete; }
  // Valid once head_complete(), until reset(); before that, its fields are
  // unspecified (slots are reused across requests).
  const RequestHead& head() const { return *head_; }
  // The same head, for a handler that reads it while (or after) the
  // connection moves on: once head_complete(), the parser does not write
  // into it again. reset() gives the next request storage of its own while
  // a pointer is still held elsewhere, and reuses this one (with its
  // capacity: no allocation per request) when none is. Thread-safe to hold
  // and read on any thread.
  std::shared_ptr<const RequestHead> share_head() const { return head_; }
  // The decoded body (chunked: the data only). Complete at kComplete; while
  // kBody, what has arrived so far.
  const std::string& body() const { return body_; }
  // Moves the body out (body() is empty afterwards).
  std::string take_body();
  // Valid at kError.
  const ParseError& error() const { return error_; }
  // A byte of the request line has arrived. The empty lines that may precede
  // it do not count: a connection that sent only those (or nothing) since the
  // last request can be closed without an answer.
  bool started() const { return started_; }
  // Body bytes still to come: kLength, what remains of Content-Length;
  // kChunked, what remains of the current chunk's data; otherwise 0. At EOF,
  // non-zero means "body shorter than declared".
  uint64_t body_bytes_expected() const;
  // Ready for the next request on the same connection. Keeps the limits and
  // the capacity of the strings it filled (not of a body taken away, nor of
  // a head still shared).
  void reset();

 private:
  // Where in the message the next byte goes.
  enum class Step : uint8_t {
    kEmptyLine,    // before the request line: CR / LF of an ignored empty line
    kEmptyLineLf,  // an ignored empty line's CR was seen
    kMethod,
    kTarget,
    kVersion,
    kFieldStart,  // the start of a field line, or the empty line ending the section
    kFieldName,
    kFieldValue,
    kLf,  // a CR ended a line: the LF must follow (then finish line_kind_)
    kChunkSize,
    kChunkExtBws,        // whitespace after the size or a value: ';' must follow
    kChunkExtNameStart,  // after ';'
    kChunkExtName,
    kChunkExtAfterName,   // whitespace after a name: '=' or ';'
    kChunkExtValueStart,  // after '='
    kChunkExtToken,
    kChunkExtQuoted,
    kChunkExtQuotedPair,
    kChunkExtAfterQuoted,
    kChunkData,
    kChunkDataEnd,  // the CR after a chunk's data
    kLengthBody,
  };
  // Which line a CR LF (or LF) finishes.
  enum class LineKind : uint8_t { kRequestLine, kField, kSectionEnd, kChunkSize, kChunkData };

  size_t scan_empty_lines(std::string_view bytes);
  size_t scan(std::string_view bytes);
  void chunk_extension_byte(char c);
  void start_field();
  void finish_line(LineKind kind);
  void finish_target();
  void finish_request_line();
  void finish_field();
  void finish_section();
  void finish_head();
  void finish_chunk_size();
  void fail(int status, std::string message);
  void fail_byte(std::string_view what, char c);

  ParseLimits limits_;
  State state_ = State::kHead;
  Step step_ = Step::kEmptyLine;
  LineKind line_kind_ = LineKind::kRequestLine;
  bool started_ = false;
  bool counted_ = false;      // bytes count toward max_head_bytes (head, trailers)
  bool in_trailers_ = false;  // field lines are trailers: checked, not kept
  int empty_lines_ = 0;
  size_t head_bytes_ = 0;   // of the head and trailers so far
  size_t fields_seen_ = 0;  // header and trailer fields so far
  size_t fields_used_ = 0;  // slots of head_.fields this request filled
  size_t name_bytes_ = 0;   // of the current field name
  std::string version_;     // at most 8 bytes
  uint64_t remaining_ = 0;  // body bytes left: of Content-Length or the chunk
  uint64_t chunk_size_ = 0;
  int chunk_digits_ = 0;
  size_t extension_bytes_ = 0;
  std::shared_ptr<RequestHead> head_;  // null only in a moved-from parser, until reset()
  std::string body_;
  ParseError error_;
};

}  // namespace sse::http
