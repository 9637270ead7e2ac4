#pragma once

// A deadline for the head of every HTTP request. Poco's server timeout bounds
// each receive, not the request: a client sending one byte every 0.9 s would
// hold a worker thread forever (slowloris). GuardedConnection arms a deadline
// when it waits for a request head; when it passes, a watchdog thread shuts the
// socket down, the blocked receive returns, and the worker is free.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
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

// Poco's HTTPServerConnection with the request-head deadline armed whenever it
// waits for a request. The request handler, on the same thread, calls
// head_received() first and request_done() last.
class GuardedConnection final : public Poco::Net::HTTPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory, RequestDeadlines& deadlines);
  void run() override;

  // The head of the current request has arrived: disarm.
  static void head_received();
  // The request is answered. Unless the handler kept the socket (a stream),
  // arm the deadline again for the next request on a kept-alive connection.
  static void request_done(bool socket_kept);

 private:
  RequestDeadlines& deadlines_;
  uint64_t handle_ = 0;
};

class GuardedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  GuardedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                           std::chrono::milliseconds head_limit)
      : params_(std::move(params)), factory_(std::move(factory)), deadlines_(head_limit) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new GuardedConnection(socket, params_, factory_, deadlines_);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  RequestDeadlines deadlines_;
};

// A request handler factory that can tell its connections the server stopped
// (Poco lets only HTTPServer fire HTTPRequestHandlerFactory::serverStopped).
class StoppableHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  void notify_stopped(bool abort_current) { serverStopped(this, abort_current); }
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
