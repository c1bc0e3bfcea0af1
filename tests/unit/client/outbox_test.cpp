#include "lochat/client/outbox.hpp"

#include <gtest/gtest.h>

#include <string>

#include "lochat/wire/protocol.hpp"

namespace lochat {
namespace {

using Clock = Outbox::Clock;
using namespace std::chrono_literals;

std::string description(double rate, std::size_t burst) {
  std::string line =
      protocol::self_description({protocol::kProtocolVersion, true, rate, burst, 4096});
  line.pop_back();  // as the client receives it, without "\n"
  return line;
}

TEST(Outbox, ALochatServerIsKnownByItsSelfDescriptionAfterTheWelcome) {
  Outbox outbox(Clock::now());
  EXPECT_FALSE(outbox.observe(protocol::kWelcome));
  EXPECT_FALSE(outbox.observe(""));
  EXPECT_EQ(outbox.server(), Outbox::Server::undecided);
  EXPECT_TRUE(outbox.observe(description(10, 30)));
  EXPECT_EQ(outbox.server(), Outbox::Server::lochat);
  EXPECT_TRUE(outbox.acknowledges());
}

TEST(Outbox, AnyOtherLineFirstMeansAForeignServer) {
  Outbox outbox(Clock::now());
  EXPECT_TRUE(outbox.observe("<announce> already connected nodes: <user0> ."));
  EXPECT_EQ(outbox.server(), Outbox::Server::foreign);
  EXPECT_FALSE(outbox.acknowledges());
  // Decided once: a description later changes nothing.
  EXPECT_FALSE(outbox.observe(description(10, 30)));
  EXPECT_EQ(outbox.server(), Outbox::Server::foreign);
}

TEST(Outbox, AServerSilentForTheWaitIsForeignAndNothingGoesOutBefore) {
  const auto start = Clock::now();
  Outbox outbox(start);
  outbox.observe(protocol::kWelcome);  // the original server says only this
  outbox.push("hello");
  EXPECT_FALSE(outbox.next_due(start));
  EXPECT_EQ(outbox.wait(start), Outbox::kDescribeWithin);
  EXPECT_FALSE(outbox.settle_by_time(start + Outbox::kDescribeWithin - 1ms));
  EXPECT_TRUE(outbox.settle_by_time(start + Outbox::kDescribeWithin));
  const auto line = outbox.next_due(start + Outbox::kDescribeWithin);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->text, "hello");
  EXPECT_FALSE(line->refused);
}

TEST(Outbox, AForeignServerGetsNoCommandsAndEscapedSlashesUnescaped) {
  Outbox outbox(Clock::now());
  outbox.observe("<user0> hi");
  outbox.push("/who");
  outbox.push("//etc/hosts");
  const auto now = Clock::now();
  const auto command = outbox.next_due(now);
  ASSERT_TRUE(command);
  EXPECT_TRUE(command->refused);
  const auto escaped = outbox.next_due(now);
  ASSERT_TRUE(escaped);
  EXPECT_FALSE(escaped->refused);
  EXPECT_EQ(escaped->text, "/etc/hosts");
}

TEST(Outbox, LinesGoOutWithinThePublishedBurstAndRate) {
  Outbox outbox(Clock::now());
  outbox.observe(description(10, 30));
  const auto start = Clock::now();
  for (int i = 0; i < 300; ++i) outbox.push("line " + std::to_string(i));
  int sent_at_once = 0;
  while (outbox.next_due(start)) ++sent_at_once;
  EXPECT_EQ(sent_at_once, 30);
  EXPECT_GE(outbox.wait(start).value_or(0ms), 90ms);
  // One more every tenth of a second, in order.
  const auto next = outbox.next_due(start + 100ms);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->text, "line 30");
  EXPECT_FALSE(outbox.next_due(start + 100ms));
}

TEST(Outbox, AQueueLongerThanTheBurstIsAnnouncedOnceWithItsDuration) {
  Outbox outbox(Clock::now());
  outbox.observe(description(10, 30));
  for (int i = 0; i < 300; ++i) outbox.push("line");
  const auto note = outbox.progress(Clock::now());
  ASSERT_TRUE(note);
  EXPECT_EQ(*note, "sending 300 lines, about 27 s (the server's flood limit)");
  EXPECT_FALSE(outbox.progress(Clock::now()));
}

TEST(Outbox, TheClientsOwnLineGoesAheadOfTypedOnes) {
  Outbox outbox(Clock::now());
  outbox.observe(description(10, 30));
  outbox.push("typed early");
  outbox.push_first("/nick alice");
  const auto first = outbox.next_due(Clock::now());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->text, "/nick alice");
  EXPECT_FALSE(first->typed);
}

}  // namespace
}  // namespace lochat
