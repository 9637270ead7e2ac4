#pragma once

// A deadline for the head of every HTTP request. Poco's server timeout bounds
// each receive, not the request: a client sending one byte every 0.9 s would
// hold a worker thread forever (slowloris). GuardedConnection arms a deadline
// when it waits for a request head; when it passes, a watchdog thread shuts the
// socket down, the blocked receive returns, and the worker is free.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include <Poco/Mutex.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>

namespace sse {

// One watchdog thread for all connections. Thread-safe. Non-copyable.
class RequestDeadlines {
 public:
  explicit RequestDeadlines(std::chrono::milliseconds limit);
  ~RequestDeadlines();  // stops the watchdog; sockets still armed are left alone
  RequestDeadlines(const RequestDeadlines&) = delete;
  RequestDeadlines& operator=(const RequestDeadlines&) = delete;

  // Shuts `socket` down (both directions) `limit` from now unless disarmed
  // first. Holds a reference to the socket while armed. Returns a handle.
  uint64_t arm(const Poco::Net::StreamSocket& socket);
  // Idempotent; 0 is ignored.
  void disarm(uint64_t handle);

 private:
  struct Armed {
    std::chrono::steady_clock::time_point deadline;
    Poco::Net::StreamSocket socket;
  };
  void run();

  const std::chrono::milliseconds limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Armed> armed_;  // by handle: handles grow, so deadlines do too
  uint64_t next_handle_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

// A request handler factory that can tell its connections the server stopped
// (Poco lets only HTTPServer fire HTTPRequestHandlerFactory::serverStopped,
// and only HTTPServerConnection listen to it).
class StoppableHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  void notify_stopped(bool abort_current) { serverStopped(this, abort_current); }
  Poco::BasicEvent<const bool>& stopped_event() { return serverStopped; }
};

// The connection loop of Poco's HTTPServerConnection (Poco 1.11), with the
// request-head deadline armed whenever it waits for a request, and answers of
// its own where Poco's fall short of RFC 9112:
//   - a head Poco cannot read is a JSON error (docs/api.md, "Errors"): 414 for a
//     request target over 16 KiB, 431 for a header over 8 KiB or more than
//     the field limit, 400 for anything else malformed (Poco sends a bare
//     400, or for a Content-Length that is not a number nothing at all);
//   - a version other than HTTP/1.0 and HTTP/1.1 is a 505 (HTTP/2.0) or a 400
//     (no version, or not HTTP), answered as HTTP/1.1 (Poco echoes whatever
//     version the request named, and runs the request);
//   - after such an answer the server stops sending and reads what the
//     client still sends until it closes or the head deadline passes, so
//     that the answer is not lost to a reset (a "lingering close").
// A head that does not arrive within the deadline gets no answer: the
// watchdog shuts the socket down. The request handler, on the same thread,
// calls head_received() first and request_done() last.
class GuardedConnection final : public Poco::Net::TCPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::SharedPtr<StoppableHandlerFactory> factory, RequestDeadlines& deadlines);
  ~GuardedConnection() override;
  GuardedConnection(const GuardedConnection&) = delete;
  GuardedConnection& operator=(const GuardedConnection&) = delete;
  void run() override;

  // The head of the current request has arrived: disarm.
  static void head_received();
  // The request is answered. Unless the handler kept the socket (a stream),
  // arm the deadline again for the next request on a kept-alive connection.
  static void request_done(bool socket_kept);

 private:
  void serve(Poco::Net::HTTPServerSession& session);
  void on_server_stopped(const bool& abort_current);

  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::SharedPtr<StoppableHandlerFactory> factory_;
  RequestDeadlines& deadlines_;
  uint64_t handle_ = 0;
  std::atomic<bool> stopped_{false};
  Poco::FastMutex mu_;  // held while a request is served; stopping waits for it
};

class GuardedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  GuardedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                           Poco::SharedPtr<StoppableHandlerFactory> factory,
                           std::chrono::milliseconds head_limit)
      : params_(std::move(params)), factory_(std::move(factory)), deadlines_(head_limit) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new GuardedConnection(socket, params_, factory_, deadlines_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::SharedPtr<StoppableHandlerFactory> factory_;
  RequestDeadlines deadlines_;
};

// Poco::Net::HTTPServer, with GuardedConnection for its connections.
class GuardedHttpServer final : public Poco::Net::TCPServer {
 public:
  GuardedHttpServer(Poco::SharedPtr<StoppableHandlerFactory> factory, Poco::ThreadPool& pool,
                    const Poco::Net::ServerSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    std::chrono::milliseconds head_limit)
      : Poco::Net::TCPServer(new GuardedConnectionFactory(params, factory, head_limit), pool,
                             socket, params),
        factory_(std::move(factory)) {}

  // As HTTPServer::stopAll(): stop accepting, and end every connection after
  // its current request (at once with `abort_current`).
  void stopAll(bool abort_current = false) {
    stop();
    factory_->notify_stopped(abort_current);
  }

 private:
  Poco::SharedPtr<StoppableHandlerFactory> factory_;
};

}  // namespace sse
