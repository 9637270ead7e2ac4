#include "sse/limits/connection_limiter.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using sse::AdmissionRefusal;
using sse::ConnectionLimiter;
using Ticket = sse::ConnectionLimiter::Ticket;

namespace {

Ticket admitted(ConnectionLimiter& limiter, const std::string& user) {
  auto admission = limiter.admit(user);
  REQUIRE(admission.ticket.has_value());
  REQUIRE(admission.ticket->valid());
  return std::move(*admission.ticket);
}

}  // namespace

TEST_CASE("connection limiter: the stream over the per-user bound is refused as kPerUser",
          "[limits]") {
  auto limiter = ConnectionLimiter::create(100, 5);
  std::vector<Ticket> tickets;
  for (int i = 0; i < 5; ++i) tickets.push_back(admitted(*limiter, "alice"));
  CHECK(limiter->open_for("alice") == 5);
  CHECK(limiter->open_total() == 5);

  auto sixth = limiter->admit("alice");
  CHECK_FALSE(sixth.ticket.has_value());
  CHECK(sixth.refusal == AdmissionRefusal::kPerUser);
  CHECK(limiter->open_for("alice") == 5);
  CHECK(limiter->open_total() == 5);

  // Other users are not affected by alice's bound.
  Ticket bob = admitted(*limiter, "bob");
  CHECK(limiter->open_for("bob") == 1);
  CHECK(limiter->open_total() == 6);

  // Closing one of alice's streams makes room for exactly one more.
  tickets.pop_back();
  CHECK(limiter->open_for("alice") == 4);
  tickets.push_back(admitted(*limiter, "alice"));
  CHECK_FALSE(limiter->admit("alice").ticket.has_value());
}

TEST_CASE("connection limiter: the stream over the total bound is refused as kTotal", "[limits]") {
  auto limiter = ConnectionLimiter::create(3, 2);
  Ticket a1 = admitted(*limiter, "a");
  Ticket b1 = admitted(*limiter, "b");
  Ticket c1 = admitted(*limiter, "c");

  auto refused = limiter->admit("d");
  CHECK_FALSE(refused.ticket.has_value());
  CHECK(refused.refusal == AdmissionRefusal::kTotal);
  CHECK(limiter->open_for("d") == 0);  // a refused user holds no place

  // At both bounds, the total is the reason reported.
  {
    auto limiter2 = ConnectionLimiter::create(2, 2);
    Ticket x1 = admitted(*limiter2, "x");
    Ticket x2 = admitted(*limiter2, "x");
    auto both = limiter2->admit("x");
    CHECK_FALSE(both.ticket.has_value());
    CHECK(both.refusal == AdmissionRefusal::kTotal);
  }

  c1.release();
  CHECK(limiter->open_total() == 2);
  Ticket d1 = admitted(*limiter, "d");
  CHECK(limiter->open_total() == 3);
}

TEST_CASE("connection limiter: anonymous streams count in the total only", "[limits]") {
  auto limiter = ConnectionLimiter::create(4, 1);
  std::vector<Ticket> anonymous;
  for (int i = 0; i < 3; ++i) anonymous.push_back(admitted(*limiter, ""));  // over the per-user 1
  CHECK(limiter->open_total() == 3);
  CHECK(limiter->open_for("") == 0);

  Ticket alice = admitted(*limiter, "alice");
  auto refused = limiter->admit("");
  CHECK_FALSE(refused.ticket.has_value());
  CHECK(refused.refusal == AdmissionRefusal::kTotal);

  anonymous.clear();
  CHECK(limiter->open_total() == 1);
  CHECK(limiter->open_for("alice") == 1);
}

TEST_CASE("connection limiter: a per-user bound of 0 refuses every named user", "[limits]") {
  auto limiter = ConnectionLimiter::create(10, 0);
  auto refused = limiter->admit("alice");
  CHECK_FALSE(refused.ticket.has_value());
  CHECK(refused.refusal == AdmissionRefusal::kPerUser);
  CHECK(limiter->open_total() == 0);
  CHECK(limiter->open_for("alice") == 0);
  Ticket anonymous = admitted(*limiter, "");
  CHECK(limiter->open_total() == 1);
}

TEST_CASE("connection limiter: a ticket gives its place back exactly once", "[limits]") {
  auto limiter = ConnectionLimiter::create(10, 10);

  SECTION("on destruction") {
    { Ticket t = admitted(*limiter, "alice"); }
    CHECK(limiter->open_total() == 0);
    CHECK(limiter->open_for("alice") == 0);
  }

  SECTION("on release(), and not again on destruction or a second release()") {
    Ticket keep = admitted(*limiter, "alice");
    {
      Ticket t = admitted(*limiter, "alice");
      t.release();
      CHECK_FALSE(t.valid());
      CHECK(limiter->open_for("alice") == 1);
      t.release();
      CHECK(limiter->open_for("alice") == 1);
    }
    CHECK(limiter->open_for("alice") == 1);
    CHECK(limiter->open_total() == 1);
  }

  SECTION("a moved-from ticket releases nothing and the moved-to one releases once") {
    Ticket keep = admitted(*limiter, "alice");
    {
      Ticket a = admitted(*limiter, "alice");
      Ticket b(std::move(a));
      CHECK_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the contract under test
      CHECK(b.valid());
      a.release();  // NOLINT(bugprone-use-after-move)
      CHECK(limiter->open_for("alice") == 2);
    }
    CHECK(limiter->open_for("alice") == 1);
    CHECK(limiter->open_total() == 1);
  }

  SECTION("move-assignment releases the target's place and takes the source's") {
    Ticket a = admitted(*limiter, "alice");
    Ticket b = admitted(*limiter, "bob");
    REQUIRE(limiter->open_total() == 2);
    a = std::move(b);  // alice's place goes back, bob's moves into `a`
    CHECK(limiter->open_for("alice") == 0);
    CHECK(limiter->open_for("bob") == 1);
    CHECK(limiter->open_total() == 1);
    CHECK(a.valid());
    CHECK_FALSE(b.valid());  // NOLINT(bugprone-use-after-move)
    b = Ticket();
    CHECK(limiter->open_for("bob") == 1);
    a = Ticket();
    CHECK(limiter->open_for("bob") == 0);
    CHECK(limiter->open_total() == 0);
  }

  SECTION("self move-assignment keeps the place") {
    Ticket a = admitted(*limiter, "alice");
    Ticket& same = a;
    a = std::move(same);
    CHECK(a.valid());
    CHECK(limiter->open_for("alice") == 1);
  }

  SECTION("a ticket moved into a container is released with it") {
    std::vector<Ticket> tickets;
    for (int i = 0; i < 8; ++i) tickets.push_back(admitted(*limiter, "alice"));  // reallocates
    CHECK(limiter->open_for("alice") == 8);
    tickets.erase(tickets.begin(), tickets.begin() + 3);
    CHECK(limiter->open_for("alice") == 5);
    tickets.clear();
    CHECK(limiter->open_for("alice") == 0);
  }
}

TEST_CASE("connection limiter: a ticket keeps its limiter alive", "[limits]") {
  Ticket t;
  std::weak_ptr<ConnectionLimiter> weak;
  {
    auto limiter = ConnectionLimiter::create(1, 1);
    weak = limiter;
    t = admitted(*limiter, "alice");
  }
  REQUIRE_FALSE(weak.expired());
  CHECK(weak.lock()->open_total() == 1);
  t.release();
  CHECK(weak.expired());
}

TEST_CASE("connection limiter: concurrent admissions never pass the bounds", "[limits]") {
  auto limiter = ConnectionLimiter::create(6, 2);
  std::atomic<int> over{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string user = t % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < 2000; ++i) {
        auto admission = limiter->admit(i % 3 == 0 ? std::string() : user);
        if (limiter->open_total() > 6 || limiter->open_for(user) > 2) ++over;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(over == 0);
  CHECK(limiter->open_total() == 0);
  CHECK(limiter->open_for("even") == 0);
  CHECK(limiter->open_for("odd") == 0);
}

TEST_CASE("connection limiter: tickets count right while the table of users grows and shrinks",
          "[limits]") {
  // A ticket finds its user's entry by address, not by name: the entry must
  // stay put while other users come and go and the table rehashes.
  auto limiter = ConnectionLimiter::create(10'000, 3);
  Ticket first = admitted(*limiter, "alice");
  std::vector<Ticket> others;
  for (int i = 0; i < 2000; ++i) others.push_back(admitted(*limiter, "user-" + std::to_string(i)));
  Ticket second = admitted(*limiter, "alice");
  CHECK(limiter->open_for("alice") == 2);
  others.erase(others.begin(), others.begin() + 1500);
  CHECK(limiter->open_for("user-1499") == 0);
  CHECK(limiter->open_for("user-1500") == 1);

  first.release();
  CHECK(limiter->open_for("alice") == 1);
  second.release();
  CHECK(limiter->open_for("alice") == 0);
  CHECK(limiter->open_total() == 500);

  // Gone from the table, alice starts again from zero, up to her bound.
  std::vector<Ticket> again;
  for (int i = 0; i < 3; ++i) again.push_back(admitted(*limiter, "alice"));
  CHECK(limiter->admit("alice").refusal == AdmissionRefusal::kPerUser);
  CHECK(limiter->open_total() == 503);
}

TEST_CASE("connection limiter: anonymous streams stop at max_anonymous, named users do not",
          "[limits]") {
  auto limiter = ConnectionLimiter::create(10, 5, 2);
  Ticket first = admitted(*limiter, "");
  Ticket second = admitted(*limiter, "");
  auto refused = limiter->admit("");
  CHECK_FALSE(refused.ticket.has_value());
  CHECK(refused.refusal == AdmissionRefusal::kAnonymous);
  Ticket alice = admitted(*limiter, "alice");  // a token still gets in
  CHECK(limiter->open_total() == 3);
  first.release();
  Ticket third = admitted(*limiter, "");  // a place came back
  CHECK(limiter->open_total() == 3);
}
