#include "sse/cli/ssectl.hpp"

#include <cstdio>

namespace sse::cli {

int run_ssectl(int /*argc*/, char** /*argv*/) {
  std::fputs("ssectl: not implemented yet\n", stderr);
  return 1;
}

}  // namespace sse::cli
