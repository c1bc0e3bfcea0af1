#include "lochat/net/token_bucket.hpp"

#include <gtest/gtest.h>

namespace lochat {
namespace {

using namespace std::chrono_literals;
const TokenBucket::Clock::time_point kStart{};

TEST(TokenBucket, BurstIsAvailableAtOnceThenItRunsDry) {
  TokenBucket bucket(10, 3, kStart);
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_FALSE(bucket.try_take(kStart));
  EXPECT_EQ(bucket.wait_for_token(kStart), 100ms);
}

TEST(TokenBucket, RefillsAtTheRateAndNeverBeyondTheBurst) {
  TokenBucket bucket(10, 2, kStart);
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_FALSE(bucket.try_take(kStart + 50ms));
  EXPECT_TRUE(bucket.try_take(kStart + 100ms));
  EXPECT_FALSE(bucket.try_take(kStart + 100ms));
  const auto much_later = kStart + 1h;
  EXPECT_TRUE(bucket.try_take(much_later));
  EXPECT_TRUE(bucket.try_take(much_later));
  EXPECT_FALSE(bucket.try_take(much_later));
}

TEST(TokenBucket, RateZeroMeansNoLimit) {
  TokenBucket bucket(0, 1, kStart);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_EQ(bucket.wait_for_token(kStart), 0ms);
}

}  // namespace
}  // namespace lochat
