#include "lochat/server/outbound_queue.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lochat {
namespace {

OutboundQueue::PushResult push_line(OutboundQueue& queue, std::string text) {
  const SharedLine line = make_shared_line(std::move(text));
  return queue.push_all(std::span(&line, 1));
}

TEST(OutboundQueue, FirstPushWakesLaterPushesDoNot) {
  OutboundQueue queue(100);
  EXPECT_EQ(push_line(queue, "a\n"), OutboundQueue::PushResult::queued_was_idle);
  EXPECT_EQ(push_line(queue, "b\n"), OutboundQueue::PushResult::queued);
  std::vector<SharedLine> taken;
  queue.take_all(taken);
  ASSERT_EQ(taken.size(), 2U);
  EXPECT_EQ(*taken[0], "a\n");
  EXPECT_EQ(*taken[1], "b\n");
  EXPECT_TRUE(queue.empty());
}

TEST(OutboundQueue, TakenBytesCountUntilReleased) {
  OutboundQueue queue(10);
  push_line(queue, "12345678\n");
  std::vector<SharedLine> taken;
  queue.take_all(taken);
  EXPECT_EQ(queue.bytes(), 9U);
  EXPECT_EQ(push_line(queue, "xy\n"), OutboundQueue::PushResult::overflow);
  EXPECT_TRUE(queue.overflowed());
}

TEST(OutboundQueue, OverflowIsStickySoNoLaterLineSneaksIn) {
  OutboundQueue queue(4);
  EXPECT_EQ(push_line(queue, "too long\n"), OutboundQueue::PushResult::overflow);
  EXPECT_EQ(push_line(queue, "a\n"), OutboundQueue::PushResult::overflow);
  EXPECT_TRUE(queue.empty());
}

TEST(OutboundQueue, ReleaseMakesRoomAgain) {
  OutboundQueue queue(4);
  push_line(queue, "abc\n");
  std::vector<SharedLine> taken;
  queue.take_all(taken);
  queue.release(4);
  EXPECT_EQ(queue.bytes(), 0U);
  EXPECT_NE(push_line(queue, "def\n"), OutboundQueue::PushResult::overflow);
}

TEST(OutboundQueue, PushAllQueuesInOrderOrNothingAtAll) {
  OutboundQueue queue(8);
  const std::vector<SharedLine> fits{make_shared_line("a\n"), make_shared_line("b\n")};
  EXPECT_EQ(queue.push_all(fits), OutboundQueue::PushResult::queued_was_idle);
  const std::vector<SharedLine> too_much{make_shared_line("c\n"), make_shared_line("long\n")};
  EXPECT_EQ(queue.push_all(too_much), OutboundQueue::PushResult::overflow);
  std::vector<SharedLine> taken;
  queue.take_all(taken);
  ASSERT_EQ(taken.size(), 2U);
  EXPECT_EQ(*taken[0], "a\n");
  EXPECT_EQ(*taken[1], "b\n");
  EXPECT_EQ(queue.bytes(), 4U);
}

}  // namespace
}  // namespace lochat
