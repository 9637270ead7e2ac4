#pragma once

// Who is calling: the result of authenticating a demo token or a JWT. A plain
// value, cheap to copy, safe to share between threads once built.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse {

struct Identity {
  std::string user_id;
  std::string username;
  std::string email;
  std::vector<std::string> roles;
  // When the token stops being valid (Unix ms), from a JWT's exp; demo tokens never expire.
  std::optional<int64_t> expires_at_ms;

  // Exact, case-sensitive match ("admin" is not "Admin").
  bool has_role(std::string_view role) const;
  bool is_admin() const { return has_role("admin"); }
};

}  // namespace sse
