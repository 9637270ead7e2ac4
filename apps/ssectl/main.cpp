#include "sse/cli/ssectl.hpp"

int main(int argc, char** argv) { return sse::cli::run_ssectl(argc, argv); }
