#include "lochat/server/outbound_queue.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lochat {
namespace {

OutboundQueue::PushResult push_shared(OutboundQueue& queue, std::string text) {
  const SharedLine line = make_shared_line(std::move(text));
  return queue.push_shared(std::span(&line, 1));
}

// Lines written in full: their bytes and charges, as the connection reports them.
void release_all(OutboundQueue& queue, const std::vector<QueuedLine>& taken) {
  std::size_t bytes = 0;
  std::size_t charges = 0;
  for (const auto& queued : taken) {
    bytes += queued.line->size();
    charges += queued.charge;
  }
  queue.release(bytes, charges);
}

TEST(OutboundQueue, LinesAreTakenInTheOrderTheyWereQueued) {
  OutboundQueue queue(1024, nullptr);
  EXPECT_EQ(push_shared(queue, "a\n"), OutboundQueue::PushResult::queued);
  EXPECT_EQ(queue.push_own(make_shared_line("b\n")), OutboundQueue::PushResult::queued);
  std::vector<QueuedLine> taken;
  queue.take_all(taken);
  ASSERT_EQ(taken.size(), 2U);
  EXPECT_EQ(*taken[0].line, "a\n");
  EXPECT_EQ(*taken[1].line, "b\n");
  EXPECT_TRUE(queue.empty());
}

TEST(OutboundQueue, AnOwnLineCostsItsBytesASharedLineOnlyItsSlot) {
  OutboundQueue queue(1024 * 1024, nullptr);
  const std::string long_text(10'000, 'x');
  push_shared(queue, long_text);
  EXPECT_EQ(queue.charged(), kSharedLineSlotBytes);
  queue.push_own(make_shared_line(long_text));
  EXPECT_EQ(queue.charged(), 2 * kSharedLineSlotBytes + long_text.size());
  EXPECT_EQ(queue.bytes(), 2 * long_text.size()) << "how far behind counts every byte";
}

TEST(OutboundQueue, ASharedLineLongerThanTheLimitStillFitsItsSlot) {
  OutboundQueue queue(4 * kSharedLineSlotBytes, nullptr);
  EXPECT_EQ(push_shared(queue, std::string(100'000, 'x')), OutboundQueue::PushResult::queued);
  EXPECT_EQ(queue.push_own(make_shared_line(std::string(100'000, 'y'))),
            OutboundQueue::PushResult::overflow);
  EXPECT_EQ(queue.overflow(), OutboundQueue::Overflow::own_limit);
}

TEST(OutboundQueue, TooManySlotsOverflowTheLimit) {
  OutboundQueue queue(10 * kSharedLineSlotBytes, nullptr);
  for (int line = 0; line < 10; ++line) {
    ASSERT_EQ(push_shared(queue, "a\n"), OutboundQueue::PushResult::queued);
  }
  EXPECT_EQ(push_shared(queue, "a\n"), OutboundQueue::PushResult::overflow);
}

TEST(OutboundQueue, TakenLinesCountUntilReleased) {
  OutboundQueue queue(2 * kSharedLineSlotBytes + 20, nullptr);
  queue.push_own(make_shared_line("12345678\n"));
  std::vector<QueuedLine> taken;
  queue.take_all(taken);
  EXPECT_EQ(queue.bytes(), 9U);
  EXPECT_EQ(queue.push_own(make_shared_line(std::string(12, 'x'))),
            OutboundQueue::PushResult::overflow);
  EXPECT_TRUE(queue.overflowed());
}

TEST(OutboundQueue, OverflowIsStickySoNoLaterLineSneaksIn) {
  OutboundQueue queue(kSharedLineSlotBytes + 4, nullptr);
  EXPECT_EQ(queue.push_own(make_shared_line("too long\n")), OutboundQueue::PushResult::overflow);
  EXPECT_EQ(push_shared(queue, "a\n"), OutboundQueue::PushResult::overflow);
  EXPECT_TRUE(queue.empty());
}

TEST(OutboundQueue, ReleaseMakesRoomAgain) {
  OutboundQueue queue(kSharedLineSlotBytes + 4, nullptr);
  queue.push_own(make_shared_line("abc\n"));
  std::vector<QueuedLine> taken;
  queue.take_all(taken);
  release_all(queue, taken);
  EXPECT_EQ(queue.bytes(), 0U);
  EXPECT_EQ(queue.charged(), 0U);
  EXPECT_EQ(queue.push_own(make_shared_line("def\n")), OutboundQueue::PushResult::queued);
}

TEST(OutboundQueue, PushSharedQueuesInOrderOrNothingAtAll) {
  OutboundQueue queue(3 * kSharedLineSlotBytes, nullptr);
  const std::vector<SharedLine> fits{make_shared_line("a\n"), make_shared_line("b\n")};
  EXPECT_EQ(queue.push_shared(fits), OutboundQueue::PushResult::queued);
  const std::vector<SharedLine> too_many{make_shared_line("c\n"), make_shared_line("d\n")};
  EXPECT_EQ(queue.push_shared(too_many), OutboundQueue::PushResult::overflow);
  std::vector<QueuedLine> taken;
  queue.take_all(taken);
  ASSERT_EQ(taken.size(), 2U);
  EXPECT_EQ(*taken[1].line, "b\n");
  EXPECT_EQ(queue.bytes(), 4U);
}

TEST(OutboundQueue, EveryChargeIsAlsoTheServerWideBudgetsUntilWrittenOrDropped) {
  QueueBudget budget(0);
  {
    OutboundQueue queue(1024 * 1024, &budget);
    queue.push_own(make_shared_line(std::string(1000, 'x')));
    push_shared(queue, "shared\n");
    EXPECT_EQ(budget.held(), queue.charged());
    std::vector<QueuedLine> taken;
    queue.take_all(taken);
    queue.release(taken[0].line->size(), taken[0].charge);
    EXPECT_EQ(budget.held(), kSharedLineSlotBytes);
  }
  EXPECT_EQ(budget.held(), 0U) << "a client that goes gives back what it still held";
}

TEST(OutboundQueue, AnEvictedQueueTakesNoMoreLines) {
  OutboundQueue queue(1024, nullptr);
  queue.evict();
  EXPECT_EQ(queue.overflow(), OutboundQueue::Overflow::evicted);
  EXPECT_EQ(push_shared(queue, "a\n"), OutboundQueue::PushResult::overflow);
}

}  // namespace
}  // namespace lochat
