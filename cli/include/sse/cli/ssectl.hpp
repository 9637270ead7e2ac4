#pragma once

namespace sse::cli {

// Runs ssectl with the process arguments; returns the process exit code
// (see man ssectl, EXIT STATUS).
int run_ssectl(int argc, char** argv);

}  // namespace sse::cli
