#include "sse-bench/response_head.hpp"

#include <cstring>
#include <string>

#include "sse/util/parse.hpp"

namespace sse::bench {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Whether the comma-separated list `value` holds `token` (any case).
bool list_has(std::string_view value, std::string_view token, bool last_only) {
  bool found = false;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const bool here = iequals(trim(value.substr(0, comma)), token);
    found = last_only ? here : (found || here);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return found;
}

}  // namespace

std::optional<size_t> find_head_end(std::string_view bytes) {
  // The head ends at the first line that is empty: "\n\n" or "\n\r\n".
  size_t from = 0;
  while (true) {
    const size_t nl = bytes.find('\n', from);
    if (nl == std::string_view::npos) return std::nullopt;
    if (nl + 1 < bytes.size() && bytes[nl + 1] == '\n') return nl + 2;
    if (nl + 2 < bytes.size() && bytes[nl + 1] == '\r' && bytes[nl + 2] == '\n') return nl + 3;
    if (nl + 2 >= bytes.size()) return std::nullopt;
    from = nl + 1;
  }
}

Result<ResponseHead> parse_response_head(std::string_view head) {
  ResponseHead result;
  size_t eol = head.find('\n');
  const std::string_view status_line = trim(head.substr(0, eol));
  // RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return Error::invalid_argument("not an HTTP/1.x status line: '" +
                                   std::string(status_line.substr(0, 80)) + "'");
  }
  const auto status = parse_uint64(status_line.substr(9, 3));
  if (!status || (status_line.size() > 12 && status_line[12] != ' ')) {
    return Error::invalid_argument("bad status code in '" + std::string(status_line.substr(0, 80)) +
                                   "'");
  }
  result.status = static_cast<int>(*status);
  const bool http10 = status_line[7] == '0';
  bool keep_alive = false;
  result.close = http10;
  while (eol != std::string_view::npos) {
    const size_t start = eol + 1;
    eol = head.find('\n', start);
    const std::string_view line =
        head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "transfer-encoding")) {
      result.chunked = list_has(value, "chunked", /*last_only=*/true);
    } else if (iequals(name, "content-length")) {
      const auto length = parse_uint64(value);
      if (!length) {
        return Error::invalid_argument("Content-Length is not a number: '" + std::string(value) +
                                       "'");
      }
      result.content_length = *length;
    } else if (iequals(name, "connection")) {
      if (list_has(value, "close", false)) result.close = true;
      if (list_has(value, "keep-alive", false)) keep_alive = true;
    }
  }
  if (http10 && keep_alive) result.close = false;
  if (result.chunked) result.content_length.reset();
  return result;
}

}  // namespace sse::bench
