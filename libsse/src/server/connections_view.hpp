#pragma once

// The admin view of open streams (GET /admin/connections): one JSON object
// per stream. In a cluster each object also names its node, and every node
// keeps the array of its own in Redis for the others to list (Cluster).

#include <cstdint>
#include <string>
#include <vector>

#include "sse/hub/stream_types.hpp"

namespace sse {

// `node` 0: no cluster, no "node" member.
std::string connection_json(const StreamSnapshot& stream, uint32_t node);
// A JSON array of connection_json objects.
std::string connections_json(const std::vector<StreamSnapshot>& streams, uint32_t node);

}  // namespace sse
