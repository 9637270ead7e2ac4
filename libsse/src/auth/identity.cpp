#include "sse/auth/identity.hpp"

#include <algorithm>

namespace sse {

bool Identity::has_role(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

}  // namespace sse
