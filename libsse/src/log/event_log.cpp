#include "sse/log/event_log.hpp"

#include <future>

namespace sse {

Result<EventPtr> append_and_wait(EventLog& log, const EventDraft& draft) {
  std::promise<Result<EventPtr>> outcome;
  auto future = outcome.get_future();
  log.append(draft, [&outcome](Result<EventPtr> result) { outcome.set_value(std::move(result)); });
  return future.get();
}

}  // namespace sse
