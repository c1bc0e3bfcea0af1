#include "lochat/net/token_bucket.hpp"

#include <gtest/gtest.h>

namespace lochat {
namespace {

using namespace std::chrono_literals;
const TokenBucket::Clock::time_point kClockEpoch{};

TEST(TokenBucket, BurstIsAvailableAtOnceThenItRunsDry) {
  TokenBucket bucket(10, 3, kClockEpoch);
  EXPECT_TRUE(bucket.try_take(kClockEpoch));
  EXPECT_TRUE(bucket.try_take(kClockEpoch));
  EXPECT_TRUE(bucket.try_take(kClockEpoch));
  EXPECT_FALSE(bucket.try_take(kClockEpoch));
  EXPECT_EQ(bucket.wait_for_token(kClockEpoch), 100ms);
}

TEST(TokenBucket, RefillsAtTheRateAndNeverBeyondTheBurst) {
  TokenBucket bucket(10, 2, kClockEpoch);
  EXPECT_TRUE(bucket.try_take(kClockEpoch));
  EXPECT_TRUE(bucket.try_take(kClockEpoch));
  EXPECT_FALSE(bucket.try_take(kClockEpoch + 50ms));
  EXPECT_TRUE(bucket.try_take(kClockEpoch + 100ms));
  EXPECT_FALSE(bucket.try_take(kClockEpoch + 100ms));
  const auto much_later = kClockEpoch + 1h;
  EXPECT_TRUE(bucket.try_take(much_later));
  EXPECT_TRUE(bucket.try_take(much_later));
  EXPECT_FALSE(bucket.try_take(much_later));
}

TEST(TokenBucket, RateZeroMeansNoLimit) {
  TokenBucket bucket(0, 1, kClockEpoch);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(bucket.try_take(kClockEpoch));
  EXPECT_EQ(bucket.wait_for_token(kClockEpoch), 0ms);
}

}  // namespace
}  // namespace lochat
