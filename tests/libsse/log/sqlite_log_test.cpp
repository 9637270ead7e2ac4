#include "sse/log/sqlite_log.hpp"

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include "log_test_support.hpp"

using namespace sse;
using namespace sse::testing;

namespace {

struct TempDb {
  TempDb() {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() / ("sse-sqlite-test-" + std::to_string(random()));
    path = (dir / "sub" / "events.db").string();
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
  std::string path;
};

std::unique_ptr<SqliteEventLog> open_log(const std::string& path, const Clock& clock,
                                         RetentionPolicy retention = {1000, 0}) {
  SqliteLogOptions options;
  options.path = path;
  options.retention = retention;
  auto log = SqliteEventLog::open(options, clock);
  INFO((log.ok() ? "" : log.message()));
  REQUIRE(log.ok());
  return std::move(*log);
}

}  // namespace

TEST_CASE("sqlite log: appends are stored, replayed and survive a reopen", "[log][sqlite]") {
  TempDb db;
  ManualClock clock;
  {
    auto log = open_log(db.path, clock);
    for (int i = 1; i <= 6; ++i) {
      auto e = append_and_wait(*log, chat_draft(i % 2 ? "odd" : "even", "m" + std::to_string(i)));
      REQUIRE(e.ok());
      CHECK((*e)->id == static_cast<EventId>(i));
    }
    CHECK(log->head() == 6);
    CHECK(log->size() == 6);
  }
  auto log = open_log(db.path, clock);
  CHECK(log->head() == 6);
  CHECK(log->size() == 6);
  auto page = replay_ok(*log, 1, 6, room_filter("odd"), 100);
  CHECK(ids_of(page) == std::vector<EventId>{3, 5});
  CHECK(page.events[0]->wire ==
        "id: 3\nevent: message\ndata: {\"id\":\"3\",\"message\":\"m3\"}\n\n");
  CHECK(page.events[0]->audience.room == "odd");
  CHECK(page.events[0]->channel == Channel::kChat);
  CHECK((*append_and_wait(*log, chat_draft("odd", "after")))->id == 7);
}

TEST_CASE("sqlite log: pages of a long replay", "[log][sqlite]") {
  TempDb db;
  ManualClock clock;
  auto log = open_log(db.path, clock);
  for (int i = 0; i < 100; ++i) (void)append_and_wait(*log, chat_draft("r", "m"));
  std::vector<EventId> all;
  EventId after = 10;
  for (;;) {
    auto page = replay_ok(*log, after, 90, nullptr, 16);
    for (auto& e : page.events) all.push_back(e->id);
    after = page.next_after;
    if (page.finished) break;
  }
  REQUIRE(all.size() == 80);
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == 11 + i);
}

TEST_CASE("sqlite log: retention keeps ids increasing even when everything is pruned",
          "[log][sqlite]") {
  TempDb db;
  ManualClock clock;
  {
    auto log = open_log(db.path, clock, {3, 60'000});
    for (int i = 0; i < 5; ++i) (void)append_and_wait(*log, chat_draft("r", "m"));
    CHECK(log->size() == 3);
    CHECK(log->covers(2));
    CHECK_FALSE(log->covers(1));
    clock.advance_ms(120'000);
    log->prune();
    CHECK(log->size() == 0);
    CHECK(log->covers(5));
    CHECK_FALSE(log->covers(4));
  }
  auto log = open_log(db.path, clock, {3, 60'000});
  CHECK(log->head() == 5);
  CHECK((*append_and_wait(*log, chat_draft("r", "next")))->id == 6);
}

TEST_CASE("sqlite log: concurrent appends are group-committed in id order", "[log][sqlite]") {
  TempDb db;
  ManualClock clock;
  auto log = open_log(db.path, clock, {100000, 0});
  std::mutex mu;
  std::vector<EventId> order;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        auto e = append_and_wait(*log, chat_draft("r", "m"));
        REQUIRE(e.ok());
        std::lock_guard lock(mu);
        order.push_back((*e)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(order.begin(), order.end());
  REQUIRE(order.size() == 1000);
  for (size_t i = 0; i < order.size(); ++i) REQUIRE(order[i] == i + 1);
  CHECK(replay_ok(*log, 0, 1000, nullptr, 2000).events.size() == 1000);
}

TEST_CASE("sqlite log: drafts that cannot go on the wire fail alone and use no id",
          "[log][sqlite]") {
  TempDb db;
  ManualClock clock;
  auto log = open_log(db.path, clock);
  // Queued without waiting, so most land in one commit with the good drafts.
  std::vector<std::future<Result<EventPtr>>> results;
  for (int i = 0; i < 6; ++i) {
    EventDraft draft = chat_draft("r", "m" + std::to_string(i));
    if (i % 2) draft.type = "two\nlines";
    auto outcome = std::make_shared<std::promise<Result<EventPtr>>>();
    results.push_back(outcome->get_future());
    log->append(draft, [outcome](Result<EventPtr> r) { outcome->set_value(std::move(r)); });
  }
  std::vector<EventId> ids;
  for (size_t i = 0; i < results.size(); ++i) {
    Result<EventPtr> r = results[i].get();
    if (i % 2) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().is_invalid_argument());
    } else {
      REQUIRE(r.ok());
      ids.push_back((*r)->id);
    }
  }
  CHECK(ids == std::vector<EventId>{1, 2, 3});
  CHECK(log->head() == 3);
  auto page = replay_ok(*log, 0, 3, nullptr, 10);
  REQUIRE(ids_of(page) == std::vector<EventId>{1, 2, 3});
  CHECK(page.events[2]->data == "{\"id\":\"3\",\"message\":\"m4\"}");
}

TEST_CASE("sqlite log: a commit that fails answers io_error, changes nothing and is rolled back",
          "[log][sqlite]") {
  TempDb db;
  ManualClock clock;
  auto log = open_log(db.path, clock);
  REQUIRE(append_and_wait(*log, chat_draft("r", "kept")).ok());
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(db.path.c_str(), &other) == SQLITE_OK);
  const auto exec = [other](const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(other, sql, nullptr, nullptr, &message);
    INFO(sql << ": " << (message ? message : ""));
    sqlite3_free(message);
    return rc;
  };
  // Another connection takes the table away under the writer's prepared INSERT.
  REQUIRE(exec("ALTER TABLE events RENAME TO moved") == SQLITE_OK);
  auto failed = append_and_wait(*log, chat_draft("r", "lost"));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().is_io_error());
  CHECK(log->head() == 1);
  CHECK(log->size() == 1);
  // Once it is back, the next commit works: the failed one left no transaction open.
  REQUIRE(exec("ALTER TABLE moved RENAME TO events") == SQLITE_OK);
  sqlite3_close(other);
  auto next = append_and_wait(*log, chat_draft("r", "next"));
  REQUIRE(next.ok());
  CHECK((*next)->id == 2);
  auto page = replay_ok(*log, 0, 2, nullptr, 10);
  REQUIRE(ids_of(page) == std::vector<EventId>{1, 2});
  CHECK(page.events[1]->data == "{\"id\":\"2\",\"message\":\"next\"}");
}

TEST_CASE("sqlite log: a damaged or foreign file is an error, never an empty log",
          "[log][sqlite]") {
  TempDb db;
  ManualClock clock;
  std::filesystem::create_directories(std::filesystem::path(db.path).parent_path());
  {
    std::ofstream(db.path) << "this is not a database, it is a text file that is long enough "
                              "to have a header page that SQLite reads and rejects\n";
  }
  SqliteLogOptions options;
  options.path = db.path;
  auto log = SqliteEventLog::open(options, clock);
  REQUIRE_FALSE(log.ok());
  CHECK(log.message().find(db.path) != std::string::npos);

  // A real database whose pages were overwritten in the middle.
  const std::string damaged = (db.dir / "damaged.db").string();
  {
    auto good = open_log(damaged, clock);
    for (int i = 0; i < 500; ++i)
      (void)append_and_wait(*good, chat_draft("r", std::string(200, 'x')));
  }
  {
    std::fstream file(damaged, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096 * 3);
    const std::string garbage(4096 * 4, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  options.path = damaged;
  auto reopened = SqliteEventLog::open(options, clock);
  CHECK_FALSE(reopened.ok());
}
