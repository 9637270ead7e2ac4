#include "sse-bench/chunked_decoder.hpp"

#include <algorithm>
#include <cstring>

namespace sse::bench {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// More would overflow 64 bits; no real chunk is near that.
constexpr int kMaxSizeDigits = 15;

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::decode(char* data, size_t size) {
  Step step;
  size_t in = 0;
  while (in < size && state_ != State::kDone && state_ != State::kError) {
    const char c = data[in];
    switch (state_) {
      case State::kSize: {
        // RFC 9112 7.1: chunk-size = 1*HEXDIG, then chunk-ext, then CRLF.
        const int v = hex_value(c);
        if (v >= 0) {
          if (++digits_ > kMaxSizeDigits) {
            state_ = State::kError;
            break;
          }
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
          ++in;
          break;
        }
        if (digits_ == 0) {
          state_ = State::kError;
          break;
        }
        state_ = State::kSizeLineEnd;
        break;  // the same byte again, in the new state
      }
      case State::kSizeLineEnd:
        ++in;
        if (c == '\n') {
          digits_ = 0;
          // 7.1: a last-chunk (size 0) is followed by the trailer section.
          state_ = remaining_ == 0 ? State::kTrailerStart : State::kData;
        }
        break;
      case State::kData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, size - in));
        if (step.body != in) std::memmove(data + step.body, data + in, take);
        step.body += take;
        in += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        ++in;
        if (c == '\r') {
          state_ = State::kDataLf;
        } else if (c == '\n') {
          state_ = State::kSize;
        } else {
          state_ = State::kError;
        }
        break;
      case State::kDataLf:
        ++in;
        state_ = c == '\n' ? State::kSize : State::kError;
        break;
      case State::kTrailerStart:
        ++in;
        if (c == '\n') {
          state_ = State::kDone;
        } else {
          state_ = c == '\r' ? State::kTrailerLf : State::kTrailerLine;
        }
        break;
      case State::kTrailerLine:
        ++in;
        if (c == '\n') state_ = State::kTrailerStart;
        break;
      case State::kTrailerLf:
        ++in;
        state_ = c == '\n' ? State::kDone : State::kError;
        break;
      case State::kDone:
      case State::kError:
        break;
    }
  }
  step.consumed = in;
  step.done = state_ == State::kDone;
  step.error = state_ == State::kError;
  return step;
}

}  // namespace sse::bench
