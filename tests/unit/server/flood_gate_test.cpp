#include "lochat/server/flood_gate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace lochat {
namespace {

using namespace std::chrono_literals;
const FloodGate::Clock::time_point kStart{std::chrono::hours(1)};

TEST(FloodGate, ABurstPassesAndTheLinesAfterItWaitTheirTurn) {
  FloodGate gate(10.0, 3, 200, kStart);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(gate.offer("burst", kStart), FloodGate::Verdict::pass);
  EXPECT_EQ(gate.offer("fourth", kStart), FloodGate::Verdict::delayed);
  EXPECT_EQ(gate.offer("fifth", kStart), FloodGate::Verdict::delayed);
  EXPECT_FALSE(gate.next_due(kStart));
  EXPECT_EQ(gate.next_due(kStart + 100ms), "fourth");
  EXPECT_FALSE(gate.next_due(kStart + 100ms));
  EXPECT_EQ(gate.next_due(kStart + 200ms), "fifth");
}

TEST(FloodGate, ALineArrivingWhileOthersWaitQueuesBehindThem) {
  FloodGate gate(10.0, 1, 200, kStart);
  EXPECT_EQ(gate.offer("one", kStart), FloodGate::Verdict::pass);
  EXPECT_EQ(gate.offer("two", kStart), FloodGate::Verdict::delayed);
  // A token is free by now, but "two" came first.
  EXPECT_EQ(gate.offer("three", kStart + 150ms), FloodGate::Verdict::delayed);
  EXPECT_EQ(gate.next_due(kStart + 150ms), "two");
}

TEST(FloodGate, SaysHowLongUntilTheNextDelayedLine) {
  FloodGate gate(10.0, 1, 200, kStart);
  EXPECT_FALSE(gate.wait_for_next(kStart));
  gate.offer("one", kStart);
  gate.offer("two", kStart);
  const auto wait = gate.wait_for_next(kStart);
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, 1ms);
  EXPECT_LE(*wait, 100ms);
}

TEST(FloodGate, MoreDelayedLinesThanAllowedIsFlooding) {
  FloodGate gate(1.0, 1, 3, kStart);
  gate.offer("pass", kStart);
  EXPECT_EQ(gate.offer("wait", kStart), FloodGate::Verdict::delayed);
  EXPECT_EQ(gate.offer("wait", kStart), FloodGate::Verdict::slow_down);
  EXPECT_EQ(gate.offer("wait", kStart), FloodGate::Verdict::delayed);
  EXPECT_EQ(gate.offer("one too many", kStart), FloodGate::Verdict::flooding);
}

TEST(FloodGate, HalfwayToFloodingItSaysSlowDownOnceUntilTheBacklogHasGone) {
  FloodGate gate(1.0, 1, 10, kStart);
  gate.offer("pass", kStart);
  std::vector<FloodGate::Verdict> verdicts;
  for (int i = 0; i < 10; ++i) verdicts.push_back(gate.offer("wait", kStart));
  EXPECT_EQ(std::count(verdicts.begin(), verdicts.end(), FloodGate::Verdict::slow_down), 1);
  EXPECT_EQ(verdicts[5], FloodGate::Verdict::slow_down) << "the sixth waiting line is past half";
  // The backlog drains at one line a second; once it is gone, the next one is warned again.
  auto now = kStart;
  while (gate.has_delayed()) {
    now += std::chrono::seconds(1);
    ASSERT_TRUE(gate.next_due(now));
  }
  now += std::chrono::seconds(1);
  ASSERT_EQ(gate.offer("pass", now), FloodGate::Verdict::pass);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(gate.offer("wait", now), FloodGate::Verdict::delayed);
  EXPECT_EQ(gate.offer("wait", now), FloodGate::Verdict::slow_down);
}

TEST(FloodGate, MoreDelayedBytesThanAllowedIsFlooding) {
  FloodGate gate(1.0, 1, 1000, kStart);
  gate.offer("pass", kStart);
  const std::string big(kMaxDelayedBytes / 2, 'x');
  EXPECT_EQ(gate.offer(big, kStart), FloodGate::Verdict::delayed);
  EXPECT_EQ(gate.offer(big, kStart), FloodGate::Verdict::slow_down);
  EXPECT_EQ(gate.offer("x", kStart), FloodGate::Verdict::flooding);
}

TEST(FloodGate, ARateOfZeroLetsEverythingThrough) {
  FloodGate gate(0.0, 1, 1, kStart);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(gate.offer("x", kStart), FloodGate::Verdict::pass);
}

TEST(FloodGate, ClearingForgetsEveryDelayedLine) {
  FloodGate gate(10.0, 1, 200, kStart);
  gate.offer("one", kStart);
  gate.offer("two", kStart);
  gate.clear();
  EXPECT_FALSE(gate.next_due(kStart + 1s));
  EXPECT_FALSE(gate.wait_for_next(kStart));
}

}  // namespace
}  // namespace lochat
