#include "sse/limits/connection_limiter.hpp"

namespace sse {

std::shared_ptr<ConnectionLimiter> ConnectionLimiter::create(size_t max_total,
                                                             size_t max_per_user) {
  return std::shared_ptr<ConnectionLimiter>(new ConnectionLimiter(max_total, max_per_user));
}

ConnectionLimiter::Admission ConnectionLimiter::admit(const std::string& user_id) {
  std::lock_guard lock(mu_);
  if (total_ >= max_total_) return {std::nullopt, AdmissionRefusal::kTotal};
  if (!user_id.empty()) {
    size_t& count = per_user_[user_id];
    if (count >= max_per_user_) {
      if (count == 0) per_user_.erase(user_id);
      return {std::nullopt, AdmissionRefusal::kPerUser};
    }
    ++count;
  }
  ++total_;
  return {Ticket(shared_from_this(), user_id), AdmissionRefusal::kTotal};
}

void ConnectionLimiter::release(const std::string& user_id) {
  std::lock_guard lock(mu_);
  --total_;
  if (user_id.empty()) return;
  auto it = per_user_.find(user_id);
  if (it != per_user_.end() && --it->second == 0) per_user_.erase(it);
}

size_t ConnectionLimiter::open_total() const {
  std::lock_guard lock(mu_);
  return total_;
}

size_t ConnectionLimiter::open_for(const std::string& user_id) const {
  std::lock_guard lock(mu_);
  auto it = per_user_.find(user_id);
  return it == per_user_.end() ? 0 : it->second;
}

void ConnectionLimiter::Ticket::release() {
  if (!limiter_) return;
  limiter_->release(user_);
  limiter_.reset();
}

}  // namespace sse
