#pragma once

// Incremental decoder of an HTTP/1.1 chunked body (RFC 9112 section 7.1),
// for streams that never end (Nchan sends SSE this way) and for publish
// answers. Bytes may be split anywhere between calls. Decodes in place: the
// body bytes of a call are moved to the front of its buffer, so the SSE
// scanner reads one contiguous run and nothing is copied when a read holds
// whole chunks.

#include <cstddef>
#include <cstdint>

namespace sse::bench {

class ChunkedDecoder {
 public:
  struct Step {
    size_t body = 0;      // body bytes now at the front of the buffer
    size_t consumed = 0;  // input bytes used; less than the input only when done
    bool done = false;    // the last chunk and the trailer section have been read
    bool error = false;   // not chunked encoding; the decoder stays failed
  };

  // Decodes data[0, size): body bytes are written to data[0, step.body).
  // Chunk extensions and trailer fields are skipped; CRLF and bare LF both
  // end a line. After done or error, further calls consume nothing.
  Step decode(char* data, size_t size);

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kError; }
  void reset() { *this = ChunkedDecoder(); }

 private:
  enum class State : uint8_t {
    kSize,          // hex digits of the chunk size
    kSizeLineEnd,   // after the digits: extensions, then CR LF
    kData,          // `remaining_` body bytes
    kDataCr,        // the CR (or bare LF) after the data
    kDataLf,        // the LF after it
    kTrailerStart,  // start of a trailer line: an empty one ends the body
    kTrailerLine,   // inside a trailer field line
    kTrailerLf,     // the LF of the empty line
    kDone,
    kError,
  };

  State state_ = State::kSize;
  uint64_t remaining_ = 0;  // chunk size being read, then bytes left of it
  int digits_ = 0;
};

}  // namespace sse::bench
