#include "server/request_deadline.hpp"

namespace sse {
namespace {

thread_local GuardedConnection* current_connection = nullptr;

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
                                     Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                                     RequestDeadlines& deadlines)
    : Poco::Net::HTTPServerConnection(socket, std::move(params), std::move(factory)),
      deadlines_(deadlines) {}

void GuardedConnection::run() {
  current_connection = this;
  handle_ = deadlines_.arm(socket());
  Poco::Net::HTTPServerConnection::run();
  deadlines_.disarm(handle_);
  current_connection = nullptr;
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
