#include "sse/limits/connection_limiter.hpp"

namespace sse {

std::shared_ptr<ConnectionLimiter> ConnectionLimiter::create(size_t max_total, size_t max_per_user,
                                                             size_t max_anonymous) {
  return std::shared_ptr<ConnectionLimiter>(
      new ConnectionLimiter(max_total, max_per_user, max_anonymous));
}

ConnectionLimiter::Admission ConnectionLimiter::admit(const std::string& user_id) {
  std::lock_guard lock(mu_);
  if (total_ >= max_total_) return {std::nullopt, AdmissionRefusal::kTotal};
  Ticket::UserCount* user = nullptr;
  if (user_id.empty()) {
    if (anonymous_ >= max_anonymous_) return {std::nullopt, AdmissionRefusal::kAnonymous};
    ++anonymous_;
  } else {
    auto it = per_user_.try_emplace(user_id, 0).first;
    if (it->second >= max_per_user_) {
      if (it->second == 0) per_user_.erase(it);
      return {std::nullopt, AdmissionRefusal::kPerUser};
    }
    ++it->second;
    user = &*it;
  }
  ++total_;
  return {Ticket(shared_from_this(), user), AdmissionRefusal::kTotal};
}

void ConnectionLimiter::release(Ticket::UserCount* user) {
  std::lock_guard lock(mu_);
  --total_;
  if (user == nullptr) {
    --anonymous_;
    return;
  }
  if (--user->second > 0) return;
  per_user_.erase(per_user_.find(user->first));  // the user's last ticket
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

std::map<std::string, size_t> ConnectionLimiter::per_user() const {
  std::lock_guard lock(mu_);
  std::map<std::string, size_t> out;
  for (const auto& [user, count] : per_user_) {
    if (count > 0) out.emplace(user, count);
  }
  return out;
}

void ConnectionLimiter::Ticket::release() {
  if (!limiter_) return;
  limiter_->release(std::exchange(user_, nullptr));
  limiter_.reset();
}

}  // namespace sse
