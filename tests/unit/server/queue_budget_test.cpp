#include "lochat/server/queue_budget.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace lochat {
namespace {

using namespace std::chrono_literals;

TEST(QueueBudget, ASharedLineCountsOnceHoweverManyHoldIt) {
  QueueBudget budget(0);
  const auto line = budget.share(std::string(1000, 'x'));
  const std::vector<SharedLine> holders(50, line);
  EXPECT_EQ(budget.held(), 1000U);
}

TEST(QueueBudget, ASharedLineGivesItsBytesBackWhenTheLastHolderLetsGo) {
  QueueBudget budget(0);
  auto line = budget.share(std::string(1000, 'x'));
  auto copy = line;
  line.reset();
  EXPECT_EQ(budget.held(), 1000U);
  copy.reset();
  EXPECT_EQ(budget.held(), 0U);
}

TEST(QueueBudget, ALineMayOutliveItsBudget) {
  SharedLine survivor;
  {
    QueueBudget budget(0);
    survivor = budget.share("still here\n");
  }
  EXPECT_EQ(*survivor, "still here\n");
}

TEST(QueueBudget, OverTheLimitOnlyOnceSharedAndOwnBytesPassIt) {
  QueueBudget budget(1500);
  const auto line = budget.share(std::string(1000, 'x'));
  EXPECT_FALSE(budget.over_limit());
  budget.charge(600);
  EXPECT_TRUE(budget.over_limit());
  budget.refund(600);
  EXPECT_FALSE(budget.over_limit());
}

TEST(QueueBudget, NoLimitIsNeverOver) {
  QueueBudget budget(0);
  budget.charge(std::size_t{1} << 40);
  EXPECT_FALSE(budget.over_limit());
}

TEST(QueueBudget, OneEvictionTurnPerPause) {
  QueueBudget budget(1);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_TRUE(budget.take_eviction_turn(now));
  EXPECT_FALSE(budget.take_eviction_turn(now));
  EXPECT_FALSE(budget.take_eviction_turn(now + 50ms));
  EXPECT_TRUE(budget.take_eviction_turn(now + 150ms));
}

}  // namespace
}  // namespace lochat
