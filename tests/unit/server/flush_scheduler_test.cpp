#include "lochat/server/flush_scheduler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "test_support.hpp"

namespace lochat {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Counts its flushes and remembers when the first came.
class Counter final : public Participant {
 public:
  Delivery deliver(std::span<const SharedLine> /*lines*/, const Participant* /*from*/,
                   Audience /*audience*/) override {
    return Delivery::done;
  }
  void flush_held() override {
    if (flushes.fetch_add(1) == 0) first_flush.store(Clock::now());
  }
  [[nodiscard]] std::size_t backlog_bytes() const override { return 0; }
  void evict() override {}

  std::atomic<int> flushes{0};
  std::atomic<Clock::time_point> first_flush{};
};

TEST(FlushScheduler, PaysWhatIsOwedOnlyOnceTheWindowHasPassed) {
  FlushScheduler scheduler(50ms);
  auto recipient = std::make_shared<Counter>();
  const auto owed_at = Clock::now();
  scheduler.owe(recipient);
  ASSERT_TRUE(test::eventually([&] { return recipient->flushes.load() == 1; }));
  EXPECT_GE(recipient->first_flush.load() - owed_at, 50ms);
}

TEST(FlushScheduler, ARecipientOwedByManySendersInOneWindowIsFlushedOnce) {
  FlushScheduler scheduler(1s);
  auto recipient = std::make_shared<Counter>();
  auto other = std::make_shared<Counter>();
  std::vector<std::shared_ptr<Participant>> from_one_sender{recipient, other, recipient};
  scheduler.owe(from_one_sender);
  EXPECT_TRUE(from_one_sender.empty()) << "the sender's list is taken";
  scheduler.owe(recipient);
  scheduler.owe(recipient);
  ASSERT_TRUE(test::eventually([&] { return other->flushes.load() == 1; }));
  EXPECT_EQ(recipient->flushes.load(), 1);
}

TEST(FlushScheduler, WhatIsOwedAfterAPaymentWaitsForANewWindow) {
  FlushScheduler scheduler(20ms);
  auto recipient = std::make_shared<Counter>();
  scheduler.owe(recipient);
  ASSERT_TRUE(test::eventually([&] { return recipient->flushes.load() == 1; }));
  scheduler.owe(recipient);
  ASSERT_TRUE(test::eventually([&] { return recipient->flushes.load() == 2; }));
}

TEST(FlushScheduler, EverythingStillOwedIsPaidWhenItStops) {
  auto recipient = std::make_shared<Counter>();
  {
    FlushScheduler scheduler(std::chrono::hours(1));
    scheduler.owe(recipient);
  }
  EXPECT_EQ(recipient->flushes.load(), 1);
}

}  // namespace
}  // namespace lochat
