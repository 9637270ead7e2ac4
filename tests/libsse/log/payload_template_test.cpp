#include "log/payload_template.hpp"

#include <catch2/catch.hpp>

#include "sse/event/payloads.hpp"

using namespace sse;

namespace {

constexpr int64_t kTime = 1'767'225'600'000;  // 2026-01-01

std::string sealed_data(const EventDraft& draft, EventId id) {
  auto event = seal_event(draft, id, kTime);
  REQUIRE(event.ok());
  return (*event)->data;
}

}  // namespace

TEST_CASE("payload template: the id's place in a notification is a hole", "[log]") {
  const EventDraft draft = notification_event("notification", "Hi", "text", "info", "u1");
  auto pieces = payload_template(draft, kTime);
  REQUIRE(pieces.ok());
  CHECK(pieces->size() == 2);
  CHECK(fill_payload(*pieces, 42) == sealed_data(draft, 42));
  CHECK(fill_payload(*pieces, 18446744073709551615ULL) ==
        sealed_data(draft, 18446744073709551615ULL));
}

TEST_CASE("payload template: a payload without its id is one piece", "[log]") {
  const EventDraft draft = realtime_event("update", "order", "7", R"({"n":1})");
  auto pieces = payload_template(draft, kTime);
  REQUIRE(pieces.ok());
  CHECK(pieces->size() == 1);
  CHECK(fill_payload(*pieces, 9) == sealed_data(draft, 9));
}

TEST_CASE("payload template: a user's text that looks like the probe ids stays as it is",
          "[log]") {
  const EventDraft draft = chat_event("message", "general", {"u1", "Ann"},
                                      "1111111111111111111 and 2222222222222222222");
  auto pieces = payload_template(draft, kTime);
  REQUIRE(pieces.ok());
  CHECK(pieces->size() == 2);
  CHECK(fill_payload(*pieces, 5) == sealed_data(draft, 5));
}

TEST_CASE("payload template: a payload that changes with the id in more than the id is refused",
          "[log]") {
  EventDraft draft;
  draft.channel = Channel::kRealtime;
  draft.type = "update";
  draft.render_data = [](EventId id, int64_t) { return R"({"odd":)" + std::to_string(id % 2) + "}"; };
  auto pieces = payload_template(draft, kTime);
  REQUIRE_FALSE(pieces.ok());
  CHECK(pieces.error().is_internal());
}

TEST_CASE("payload template: a draft that cannot go on the wire fails as sealing does", "[log]") {
  EventDraft draft = realtime_event("update", "order", "7", "{}");
  draft.type = "two\nlines";
  auto pieces = payload_template(draft, kTime);
  REQUIRE_FALSE(pieces.ok());
  CHECK(pieces.error().is_invalid_argument());
}
