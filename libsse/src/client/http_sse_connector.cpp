#include "sse/client/http_sse_connector.hpp"

#include <istream>
#include <memory>
#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

#include "poco_errors.hpp"

namespace sse {
namespace {

class PocoSseConnection final : public SseConnection {
 public:
  PocoSseConnection(std::unique_ptr<Poco::Net::HTTPClientSession> session, std::istream& body,
                    Url url)
      : session_(std::move(session)), body_(body), url_(std::move(url)) {}

  ReadResult read(int64_t max_wait_ms) override {
    try {
      // The session's socket timeout makes the blocking read below give up.
      session_->socket().setReceiveTimeout(
          Poco::Timespan(std::max<int64_t>(max_wait_ms, 1) * 1000));
      std::streambuf* buffer = body_.rdbuf();
      // sgetc() blocks until the session has some bytes (one recv), then the
      // buffered ones are taken without blocking again.
      if (buffer->sgetc() == std::char_traits<char>::eof()) return {ReadStatus::kClosed, "", ""};
      const std::streamsize available = buffer->in_avail();
      std::string bytes(static_cast<size_t>(std::max<std::streamsize>(available, 1)), '\0');
      bytes.resize(static_cast<size_t>(
          buffer->sgetn(bytes.data(), static_cast<std::streamsize>(bytes.size()))));
      return {ReadStatus::kData, std::move(bytes), ""};
    } catch (const Poco::TimeoutException&) {
      return {ReadStatus::kIdle, "", ""};
    } catch (const Poco::Exception& e) {
      return {ReadStatus::kFailed, "", fmt::format("the connection broke ({})", e.displayText())};
    } catch (const std::exception& e) {
      return {ReadStatus::kFailed, "", fmt::format("the connection broke ({})", e.what())};
    }
  }

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  std::istream& body_;  // owned by session_
  Url url_;
};

}  // namespace

Result<OpenedStream, ClientError> HttpSseConnector::open(const std::string& last_event_id,
                                                         int64_t timeout_ms) {
  const std::string path = options_.url.path_prefix + target_;
  try {
    auto session = std::make_unique<Poco::Net::HTTPClientSession>(
        options_.url.host, static_cast<Poco::UInt16>(options_.url.port));
    session->setTimeout(Poco::Timespan(std::max<int64_t>(timeout_ms, 1) * 1000));
    session->setKeepAlive(false);
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "text/event-stream");
    request.set("Cache-Control", "no-cache");
    request.set("User-Agent", "ssectl");
    if (!options_.token.empty()) request.set("Authorization", "Bearer " + options_.token);
    if (!last_event_id.empty()) request.set("Last-Event-ID", last_event_id);
    if (options_.trace) {
      options_.trace(last_event_id.empty()
                         ? fmt::format("> GET {}", path)
                         : fmt::format("> GET {} (Last-Event-ID: {})", path, last_event_id));
    }
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session->receiveResponse(response);
    const int status = static_cast<int>(response.getStatus());
    if (options_.trace) options_.trace(fmt::format("< {} {}", status, response.getReason()));
    if (status != 200) {
      HttpResponse failed;
      failed.status = status;
      failed.reason = response.getReason();
      if (response.has("Retry-After")) failed.headers["retry-after"] = response.get("Retry-After");
      std::ostringstream content;
      Poco::StreamCopier::copyStream(body, content);
      failed.body = content.str();
      return http_error_from(failed);
    }
    if (response.getContentType().rfind("text/event-stream", 0) != 0) {
      return client_error(
          ClientErrorKind::kProtocol,
          fmt::format("{} answered {} with '{}', not an event stream", options_.url.to_string(),
                      target_, response.getContentType()));
    }
    OpenedStream opened;
    opened.replay = response.get("X-SSE-Replay", "");
    opened.connection = std::make_unique<PocoSseConnection>(std::move(session), body, options_.url);
    return opened;
  } catch (const Poco::Exception& e) {
    return client_error_from(e, options_.url);
  } catch (const std::exception& e) {
    return client_error(ClientErrorKind::kProtocol, e.what());
  }
}

}  // namespace sse
