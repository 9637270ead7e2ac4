#pragma once

// Counts open streams, in all and per user, and refuses the one that would
// pass either bound. Admission is a move-only ticket: a stream that never got
// going gives its place back when the ticket dies. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace sse {

enum class AdmissionRefusal { kTotal, kPerUser, kAnonymous };

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept
        : limiter_(std::move(other.limiter_)), user_(std::exchange(other.user_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept {
      if (this != &other) {
        release();
        limiter_ = std::move(other.limiter_);
        user_ = std::exchange(other.user_, nullptr);
      }
      return *this;
    }
    ~Ticket() { release(); }
    void release();
    bool valid() const { return limiter_ != nullptr; }

   private:
    friend class ConnectionLimiter;
    using UserCount = std::pair<const std::string, size_t>;  // an entry of per_user_
    Ticket(std::shared_ptr<ConnectionLimiter> limiter, UserCount* user)
        : limiter_(std::move(limiter)), user_(user) {}
    std::shared_ptr<ConnectionLimiter> limiter_;
    // The user's entry in the limiter's table, null for an anonymous stream.
    // It stays while any ticket of the user does (entries of an unordered_map
    // do not move), so a ticket needs no copy of the user id: an open stream
    // holds its ticket for as long as it is open.
    UserCount* user_ = nullptr;
  };

  // `max_anonymous`: streams without a user (the status stream without a
  // token), so that clients without a token cannot take every place.
  static std::shared_ptr<ConnectionLimiter> create(size_t max_total, size_t max_per_user,
                                                   size_t max_anonymous = SIZE_MAX);

  // A ticket, or why not. Anonymous streams (empty user) count in total and
  // against max_anonymous.
  struct Admission {
    std::optional<Ticket> ticket;
    AdmissionRefusal refusal = AdmissionRefusal::kTotal;
  };
  Admission admit(const std::string& user_id);

  size_t open_total() const;
  size_t open_for(const std::string& user_id) const;
  // Every user with a place, and how many places each holds.
  std::map<std::string, size_t> per_user() const;

 private:
  ConnectionLimiter(size_t max_total, size_t max_per_user, size_t max_anonymous)
      : max_total_(max_total), max_per_user_(max_per_user), max_anonymous_(max_anonymous) {}
  void release(Ticket::UserCount* user);

  const size_t max_total_;
  const size_t max_per_user_;
  const size_t max_anonymous_;
  mutable std::mutex mu_;
  size_t total_ = 0;
  size_t anonymous_ = 0;
  std::unordered_map<std::string, size_t> per_user_;
};

}  // namespace sse
