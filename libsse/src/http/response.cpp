#include "http/response.hpp"

#include <cstdint>
#include <ctime>

#include "sse/util/parse.hpp"

namespace sse::http {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string_view http_date_now() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[32] = {};
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    cached_second = now;
  }
  return text;
}

namespace {

// "HTTP/1.1 <status> <reason>\r\nDate: <now>\r\nServer: sse-server\r\n", the
// start of every response: cached per thread for the last status and second
// (most answers in a row have the same status).
std::string_view response_start(int status) {
  thread_local int cached_status = 0;
  thread_local std::time_t cached_second = 0;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (status != cached_status || now != cached_second) {
    text.assign("HTTP/1.1 ");
    append_uint64(text, static_cast<uint64_t>(status));
    text.append(" ").append(reason_phrase(status)).append("\r\nDate: ").append(http_date_now());
    text.append("\r\nServer: sse-server\r\n");
    cached_status = status;
    cached_second = now;
  }
  return text;
}

}  // namespace

std::string serialize(int status, const Headers& headers, std::string_view content_type,
                      std::string_view body, const Framing& framing) {
  std::string out;
  out.reserve(160 + content_type.size() + body.size());
  out.append(response_start(status));
  for (const auto& [name, value] : headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!content_type.empty()) out.append("Content-Type: ").append(content_type).append("\r\n");
  // RFC 9110 8.6: never on a 204.
  if (!framing.open_ended && status != 204) {
    out.append("Content-Length: ");
    append_uint64(out, body.size());
    out.append("\r\n");
  }
  if (!framing.keep_alive) {
    out.append("Connection: close\r\n");
  } else if (framing.http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (!framing.head_only) out.append(body);
  return out;
}

std::string serialize(const Response& response, const Framing& framing) {
  return serialize(response.status, response.headers, "", response.body, framing);
}

}  // namespace sse::http
