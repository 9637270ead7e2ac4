#include "server/request_deadline.hpp"

#include <cctype>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <Poco/Delegate.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>
#include <fmt/format.h>

#include "sse/util/json.hpp"

namespace sse {
namespace {

thread_local GuardedConnection* current_connection = nullptr;

using Status = Poco::Net::HTTPResponse::HTTPStatus;

// Poco 1.11's limits on a request head (HTTPRequest, MessageHeader: private).
constexpr int kMaxTargetBytes = 16384;
constexpr int kMaxHeaderNameBytes = 256;
constexpr int kMaxHeaderValueBytes = 8192;
constexpr int kMaxHeaderFields = 100;

// A request refused before any handler saw it.
struct HeadError {
  Status status;
  const char* code;
  std::string message;
};

// Poco names what it could not read only in the message (Poco 1.11,
// HTTPRequest::read and MessageHeader::read); anything else is a 400.
HeadError classify(const Poco::Net::MessageException& e) {
  const std::string& what = e.message();
  // RFC 9112 3: a request-target longer than the server parses is a 414.
  if (what.rfind("HTTP request URI", 0) == 0) {
    return {Poco::Net::HTTPResponse::HTTP_REQUEST_URI_TOO_LONG, "uri_too_long",
            fmt::format("the request target is longer than {} bytes", kMaxTargetBytes)};
  }
  // RFC 6585 5: header fields too large, one or all together.
  if (what.rfind("Too many header fields", 0) == 0 || what.rfind("Field ", 0) == 0 ||
      what.rfind("Folded field", 0) == 0) {
    return {Poco::Net::HTTPResponse::HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request_header_fields_too_large",
            fmt::format("a header name is over {} bytes, a value over {}, or there are more "
                        "than {} headers",
                        kMaxHeaderNameBytes, kMaxHeaderValueBytes, kMaxHeaderFields)};
  }
  return {Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "bad_request",
          "the request line or a header is malformed"};
}

// RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; a major version this
// server does not speak is a 505 (RFC 9110 15.6.6), anything else a 400.
std::optional<HeadError> check_version(const std::string& version) {
  if (version == Poco::Net::HTTPMessage::HTTP_1_1 || version == Poco::Net::HTTPMessage::HTTP_1_0)
    return std::nullopt;
  const bool well_formed = version.size() == 8 && version.compare(0, 5, "HTTP/") == 0 &&
                           std::isdigit(static_cast<unsigned char>(version[5])) &&
                           version[6] == '.' &&
                           std::isdigit(static_cast<unsigned char>(version[7]));
  if (well_formed) {
    return HeadError{Poco::Net::HTTPResponse::HTTP_VERSION_NOT_SUPPORTED,
                     "http_version_not_supported", "this server speaks HTTP/1.1 and HTTP/1.0"};
  }
  return HeadError{Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "bad_request",
                   "the request line does not end in HTTP/1.1 or HTTP/1.0"};
}

// Answers `error` as JSON and closes the connection: stop sending, then read
// and drop what the client still sends until it closes or the head deadline
// (still armed: no handler ran) shuts the socket, so that the answer is read
// before the close (a close with unread bytes would reset the connection).
void refuse(Poco::Net::StreamSocket& socket, const HeadError& error, const std::string& server) {
  Poco::Net::HTTPResponse head(Poco::Net::HTTPMessage::HTTP_1_1, error.status);
  head.setDate(Poco::Timestamp());
  head.setKeepAlive(false);
  if (!server.empty()) head.set("Server", server);
  head.setContentType("application/json");
  head.set("Cache-Control", "no-store");
  const std::string body = fmt::format(R"({{"error":{{"code":{},"message":{}}}}})",
                                       json_quote(error.code), json_quote(error.message));
  head.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostringstream bytes;
  head.write(bytes);
  bytes << body;
  const std::string answer = bytes.str();
  try {
    for (size_t sent = 0; sent < answer.size();) {
      const int n = socket.sendBytes(answer.data() + sent, static_cast<int>(answer.size() - sent));
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
    socket.shutdownSend();
    char drain[4096];
    while (socket.receiveBytes(drain, sizeof drain) > 0) {
    }
  } catch (const Poco::Exception&) {
    // the deadline shut the socket, or the client reset it: nothing to answer
  }
}

}  // namespace

RequestDeadlines::RequestDeadlines(std::chrono::milliseconds limit) : limit_(limit) {
  thread_ = std::thread([this] { run(); });
}

RequestDeadlines::~RequestDeadlines() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t RequestDeadlines::arm(const Poco::Net::StreamSocket& socket) {
  std::lock_guard lock(mu_);
  const uint64_t handle = next_handle_++;
  const bool first = armed_.empty();
  armed_.emplace(handle, Armed{std::chrono::steady_clock::now() + limit_, socket});
  if (first) cv_.notify_all();
  return handle;
}

void RequestDeadlines::disarm(uint64_t handle) {
  if (handle == 0) return;
  Poco::Net::StreamSocket released;  // dropped outside the lock
  std::lock_guard lock(mu_);
  auto it = armed_.find(handle);
  if (it == armed_.end()) return;
  released = std::move(it->second.socket);
  armed_.erase(it);
}

void RequestDeadlines::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (armed_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // Same limit for all, so the oldest handle has the nearest deadline.
    auto oldest = armed_.begin();
    // A copy: the entry may be disarmed (erased) while this waits.
    const auto deadline = oldest->second.deadline;
    if (std::chrono::steady_clock::now() < deadline) {
      cv_.wait_until(lock, deadline);
      continue;
    }
    Poco::Net::StreamSocket socket = std::move(oldest->second.socket);
    armed_.erase(oldest);
    lock.unlock();
    try {
      socket.shutdown();  // the worker's receive returns 0: the connection ends
    } catch (...) {
      // already closed by the client
    }
    lock.lock();
  }
}

GuardedConnection::GuardedConnection(const Poco::Net::StreamSocket& socket,
                                     Poco::Net::HTTPServerParams::Ptr params,
                                     Poco::SharedPtr<StoppableHandlerFactory> factory,
                                     RequestDeadlines& deadlines)
    : Poco::Net::TCPServerConnection(socket),
      params_(std::move(params)),
      factory_(std::move(factory)),
      deadlines_(deadlines) {
  factory_->stopped_event() += Poco::delegate(this, &GuardedConnection::on_server_stopped);
}

GuardedConnection::~GuardedConnection() {
  try {
    factory_->stopped_event() -= Poco::delegate(this, &GuardedConnection::on_server_stopped);
  } catch (...) {
    // the event's mutex failed: nothing to do in a destructor
  }
}

void GuardedConnection::run() {
  current_connection = this;
  handle_ = deadlines_.arm(socket());
  try {
    Poco::Net::HTTPServerSession session(socket(), params_);
    serve(session);
  } catch (...) {
    deadlines_.disarm(handle_);
    current_connection = nullptr;
    throw;  // a network error: Poco's dispatcher ends the connection
  }
  deadlines_.disarm(handle_);
  current_connection = nullptr;
}

void GuardedConnection::serve(Poco::Net::HTTPServerSession& session) {
  const std::string server = params_->getSoftwareVersion();
  while (!stopped_ && session.hasMoreRequests()) {
    std::optional<HeadError> refused;
    try {
      Poco::FastMutex::ScopedLock lock(mu_);
      if (stopped_) break;
      Poco::Net::HTTPServerResponseImpl response(session);
      Poco::Net::HTTPServerRequestImpl request(response, session, params_);
      refused = check_version(request.getVersion());
      if (!refused) {
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(params_->getKeepAlive() && request.getKeepAlive() &&
                              session.canKeepAlive());
        if (!server.empty()) response.set("Server", server);
        std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
            factory_->createRequestHandler(request));
        if (!handler) break;  // the factory always makes one
        if (request.getExpectContinue() && response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK)
          response.sendContinue();
        handler->handleRequest(request, response);
        session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() &&
                             session.canKeepAlive());
      }
    } catch (const Poco::Net::NoMessageException&) {
      break;  // the client closed between requests
    } catch (const Poco::Net::MessageException& e) {
      refused = classify(e);
    } catch (const Poco::SyntaxException&) {
      // HTTPServerRequestImpl parses Content-Length as it opens the body.
      refused = HeadError{Poco::Net::HTTPResponse::HTTP_BAD_REQUEST, "bad_request",
                          "the Content-Length header is not a number"};
    }
    if (refused) {
      session.setKeepAlive(false);
      refuse(session.socket(), *refused, server);
      break;
    }
  }
}

void GuardedConnection::on_server_stopped(const bool& abort_current) {
  stopped_ = true;
  auto shut = [this] {
    try {
      socket().shutdown();
    } catch (...) {
      // already closed
    }
  };
  if (abort_current) {
    shut();
  } else {
    Poco::FastMutex::ScopedLock lock(mu_);  // after the request being served
    shut();
  }
}

void GuardedConnection::head_received() {
  if (auto* self = current_connection) {
    self->deadlines_.disarm(self->handle_);
    self->handle_ = 0;
  }
}

void GuardedConnection::request_done(bool socket_kept) {
  auto* self = current_connection;
  if (self == nullptr || socket_kept) return;
  self->handle_ = self->deadlines_.arm(self->socket());
}

}  // namespace sse
