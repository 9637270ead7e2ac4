#include "log/payload_template.hpp"

namespace sse {
namespace {

// Two ids with the same number of digits and no digit in common: payloads
// rendered with each differ exactly where the id is, whatever the user's
// text holds (it is the same in both).
constexpr EventId kProbeA = 1111111111111111111ULL;
constexpr EventId kProbeB = 2222222222222222222ULL;

Error varies() {
  return Error::internal("the event's payload changes with its id in more than the id");
}

}  // namespace

Result<std::vector<std::string>> payload_template(const EventDraft& draft, int64_t time_ms) {
  auto a = seal_event(draft, kProbeA, time_ms);
  if (!a) return a.error();
  auto b = seal_event(draft, kProbeB, time_ms);
  if (!b) return b.error();
  const std::string& da = (*a)->data;
  const std::string& db = (*b)->data;
  if (da.size() != db.size()) return varies();
  const std::string probe = std::to_string(kProbeA);
  std::vector<std::string> pieces;
  size_t from = 0;
  for (size_t i = 0; i < da.size();) {
    if (da[i] == db[i]) {
      ++i;
      continue;
    }
    if (da.compare(i, probe.size(), probe) != 0) return varies();
    pieces.push_back(da.substr(from, i - from));
    i += probe.size();
    from = i;
  }
  pieces.push_back(da.substr(from));
  return pieces;
}

std::string fill_payload(const std::vector<std::string>& pieces, EventId id) {
  const std::string digits = std::to_string(id);
  std::string out = pieces.empty() ? std::string() : pieces.front();
  for (size_t i = 1; i < pieces.size(); ++i) out += digits + pieces[i];
  return out;
}

}  // namespace sse
