#include "lochat/bench.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace lochat::bench {
namespace {

using namespace std::chrono_literals;
using Verdict = DeliveryChecker::Verdict;

constexpr std::uint32_t kRun = 0xc0ffee42;
constexpr std::size_t kSize = 100;

// The line for `token` without its "\n", as a receiver sees it.
std::string line_for(const Token& token, std::size_t size = kSize) {
  std::string line;
  append_line(line, token, size);
  line.pop_back();
  return line;
}

Token token(std::size_t sender, std::uint64_t seq) {
  return Token{kRun, sender, seq, 123456789};
}

// --- Token ------------------------------------------------------------------

TEST(BenchToken, LineHasExactlyTheRequestedSizeAndANewline) {
  std::string out;
  append_line(out, token(7, 42), kSize);
  ASSERT_EQ(out.size(), kSize + 1);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_TRUE(out.starts_with("LB|c0ffee42|7|42|123456789|"));
}

TEST(BenchToken, RoundTrips) {
  const Token sent{kRun, 1999, 999'999'999, 9'000'000'000'000'000'000};
  const auto found = find_token(line_for(sent), kSize);
  ASSERT_EQ(found.status, TokenStatus::valid);
  EXPECT_EQ(found.token.run, sent.run);
  EXPECT_EQ(found.token.sender, sent.sender);
  EXPECT_EQ(found.token.seq, sent.seq);
  EXPECT_EQ(found.token.send_ns, sent.send_ns);
}

TEST(BenchToken, IsFoundAfterAnyServerPrefix) {
  const auto line = line_for(token(3, 5));
  for (const std::string prefix : {"From 127.0.0.1:5555: ", "<user3> ", "History 12:30 From x: "}) {
    const auto found = find_token(prefix + line, kSize);
    EXPECT_EQ(found.status, TokenStatus::valid) << prefix;
    EXPECT_EQ(found.token.seq, 5u) << prefix;
  }
}

// Padding is checked in pieces of a few kilobytes: every piece counts.
TEST(BenchToken, LongLinesRoundTripAndADamagedByteAnywhereIsFound) {
  constexpr std::size_t kLong = 20'000;
  const auto good = line_for(token(3, 27), kLong);
  ASSERT_EQ(good.size(), kLong);
  EXPECT_EQ(find_token(good, kLong).status, TokenStatus::valid);
  for (const std::size_t at : {std::size_t{100}, std::size_t{8'300}, kLong - 1}) {
    std::string damaged = good;
    damaged[at] = damaged[at] == 'x' ? 'y' : 'x';
    EXPECT_EQ(find_token(damaged, kLong).status, TokenStatus::malformed) << at;
  }
}

TEST(BenchToken, LinesWithoutATokenAreNotOurs) {
  for (const std::string line : {"Welcome to LoChat!", "Message Received", "*** Online (2): a, b",
                                 "<announce> 127.0.0.1 is connected as <user5>.", ""}) {
    EXPECT_EQ(find_token(line, kSize).status, TokenStatus::absent) << line;
  }
}

TEST(BenchToken, DamagedTokensAreMalformed) {
  const auto good = line_for(token(3, 5));
  std::string flipped_padding = good;
  flipped_padding[kSize - 10] = flipped_padding[kSize - 10] == 'x' ? 'y' : 'x';
  std::string letter_in_seq = good;
  letter_in_seq.replace(good.find("|5|"), 3, "|S|");
  const std::vector<std::string> damaged{
      good.substr(0, kSize - 1),          // truncated
      good + "a",                         // too long
      flipped_padding,                    // one byte changed
      letter_in_seq,                      // field not a number
      "LB|c0ffee42|3|5",                  // fields missing
      "From x: LB|c0ffee42||5|1|abcdef",  // empty sender
  };
  for (const auto& line : damaged) {
    EXPECT_EQ(find_token(line, kSize).status, TokenStatus::malformed) << line;
  }
}

// --- DeliveryChecker --------------------------------------------------------

// Every message of every sender, in order, to every other client.
void deliver_all(DeliveryChecker& checker, std::size_t clients, std::uint64_t messages) {
  for (std::size_t receiver = 0; receiver < clients; ++receiver) {
    for (std::size_t sender = 0; sender < clients; ++sender) {
      if (sender == receiver) continue;
      for (std::uint64_t seq = 0; seq < messages; ++seq)
        checker.record(receiver, token(sender, seq));
    }
  }
}

TEST(DeliveryChecker, EverythingInOrderIsCleanAndComplete) {
  DeliveryChecker checker(3, 4, kRun);
  deliver_all(checker, 3, 4);
  checker.settle(std::vector<std::uint64_t>{4, 4, 4});
  EXPECT_TRUE(checker.complete());
  EXPECT_EQ(checker.counts().delivered, 3u * 2 * 4);
  EXPECT_EQ(checker.counts().errors(), 0u);
}

TEST(DeliveryChecker, DetectsAnInjectedLoss) {
  DeliveryChecker checker(2, 4, kRun);
  for (const std::uint64_t seq : {0u, 1u, 3u}) checker.record(1, token(0, seq));  // 2 never comes
  for (std::uint64_t seq = 0; seq < 4; ++seq) checker.record(0, token(1, seq));
  checker.settle(std::vector<std::uint64_t>{4, 4});
  EXPECT_EQ(checker.counts().lost, 1u);
  EXPECT_EQ(checker.counts().reordered, 0u);
  EXPECT_EQ(checker.counts().duplicated, 0u);
  EXPECT_FALSE(checker.complete());
}

TEST(DeliveryChecker, CountsMessagesThatNeverArrivedAtTheEndAsLost) {
  DeliveryChecker checker(2, 4, kRun);
  checker.record(1, token(0, 0));
  checker.settle(std::vector<std::uint64_t>{4, 0});
  EXPECT_EQ(checker.counts().lost, 3u);
}

TEST(DeliveryChecker, DetectsAnInjectedDuplicate) {
  DeliveryChecker checker(2, 3, kRun);
  EXPECT_EQ(checker.record(1, token(0, 0)), Verdict::delivered);
  EXPECT_EQ(checker.record(1, token(0, 1)), Verdict::delivered);
  EXPECT_EQ(checker.record(1, token(0, 1)), Verdict::duplicate);
  EXPECT_EQ(checker.record(1, token(0, 2)), Verdict::delivered);
  checker.settle(std::vector<std::uint64_t>{3, 0});
  EXPECT_EQ(checker.counts().duplicated, 1u);
  EXPECT_EQ(checker.counts().delivered, 3u);
  EXPECT_EQ(checker.counts().lost, 0u);
  EXPECT_EQ(checker.counts().reordered, 0u);
}

TEST(DeliveryChecker, DetectsAnInjectedReorder) {
  DeliveryChecker checker(2, 4, kRun);
  EXPECT_EQ(checker.record(1, token(0, 0)), Verdict::delivered);
  EXPECT_EQ(checker.record(1, token(0, 2)), Verdict::delivered);
  EXPECT_EQ(checker.record(1, token(0, 1)), Verdict::late);
  EXPECT_EQ(checker.record(1, token(0, 3)), Verdict::delivered);
  checker.settle(std::vector<std::uint64_t>{4, 0});
  EXPECT_EQ(checker.counts().reordered, 1u);
  EXPECT_EQ(checker.counts().delivered, 4u);
  EXPECT_EQ(checker.counts().lost, 0u);
  EXPECT_EQ(checker.counts().duplicated, 0u);
}

TEST(DeliveryChecker, ADuplicateOfALateMessageIsStillADuplicate) {
  DeliveryChecker checker(2, 3, kRun);
  checker.record(1, token(0, 1));
  EXPECT_EQ(checker.record(1, token(0, 0)), Verdict::late);
  EXPECT_EQ(checker.record(1, token(0, 0)), Verdict::duplicate);
}

TEST(DeliveryChecker, ImpossibleSendersAndSequencesAreCorrupt) {
  DeliveryChecker checker(2, 3, kRun);
  EXPECT_EQ(checker.record(1, token(2, 0)), Verdict::corrupt);
  EXPECT_EQ(checker.record(1, token(0, 3)), Verdict::corrupt);
  checker.record_corrupt();
  EXPECT_EQ(checker.counts().corrupted, 3u);
}

TEST(DeliveryChecker, EchoesAndOtherRunsAreCountedButAreNotErrors) {
  DeliveryChecker checker(2, 3, kRun);
  EXPECT_EQ(checker.record(0, token(0, 0)), Verdict::echo);
  EXPECT_EQ(checker.record(1, Token{kRun + 1, 0, 0, 0}), Verdict::foreign);
  EXPECT_EQ(checker.counts().echoed, 1u);
  EXPECT_EQ(checker.counts().foreign, 1u);
  EXPECT_EQ(checker.counts().errors(), 0u);
  EXPECT_EQ(checker.counts().delivered, 0u);
}

// --- LatencyHistogram -------------------------------------------------------

TEST(LatencyHistogram, EmptyReportsZero) {
  const LatencyHistogram histogram;
  EXPECT_EQ(histogram.percentile(0.99), 0ns);
  EXPECT_EQ(histogram.max(), 0ns);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (int value = 1; value <= 10; ++value) histogram.record(std::chrono::nanoseconds(value));
  EXPECT_EQ(histogram.percentile(0.5), 5ns);
  EXPECT_EQ(histogram.percentile(1.0), 10ns);
  EXPECT_EQ(histogram.count(), 10u);
}

TEST(LatencyHistogram, PercentilesAreWithinTwoPercentAndMaxIsExact) {
  LatencyHistogram histogram;
  for (int micros = 1; micros <= 1000; ++micros)
    histogram.record(std::chrono::microseconds(micros));
  histogram.record(3s);
  const auto near = [](std::chrono::nanoseconds got, std::chrono::nanoseconds want) {
    return std::abs(static_cast<double>((got - want).count())) <=
           0.02 * static_cast<double>(want.count());
  };
  EXPECT_TRUE(near(histogram.percentile(0.5), 501us)) << histogram.percentile(0.5).count();
  EXPECT_TRUE(near(histogram.percentile(0.99), 991us)) << histogram.percentile(0.99).count();
  EXPECT_EQ(histogram.max(), 3s);
  EXPECT_EQ(histogram.percentile(1.0), 3s);
}

// --- Configuration and /proc ------------------------------------------------

// The guard that keeps lochat-bench on loopback: these are strings handed to
// a pure function; no socket is ever opened to any of them.
TEST(BenchConfig, OnlyLoopbackAddressesAreLoopback) {
  for (const char* address : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback(address)) << address;
  }
  for (const char* address :
       {"10.0.0.1", "192.168.1.20", "0.0.0.0", "::", "fe80::1", "::ffff:10.0.0.1", "localhost"}) {
    EXPECT_FALSE(is_loopback(address)) << address;
  }
}

TEST(BenchConfig, DefaultsAreValidAndNonsenseIsExplained) {
  EXPECT_EQ(config_problem(BenchConfig{}), "");
  BenchConfig one_client;
  one_client.clients = 1;
  EXPECT_NE(config_problem(one_client), "");
  BenchConfig tiny;
  tiny.message_size = kMinMessageSize - 1;
  EXPECT_NE(config_problem(tiny), "");
  BenchConfig long_hold;
  long_hold.connect_only = 10;
  long_hold.hold = long_hold.timeout;
  EXPECT_NE(config_problem(long_hold), "");
  BenchConfig connect_only;
  connect_only.connect_only = 10;
  connect_only.clients = 1;  // unused in this mode
  EXPECT_EQ(config_problem(connect_only), "");
}

// The window is the bench's, never derived from a server's limits.
TEST(BenchConfig, TheDefaultWindowIsSixteenWhateverTheCrowd) {
  for (const std::size_t clients : {2u, 50u, 200u, 2000u}) {
    BenchConfig config;
    config.clients = clients;
    EXPECT_EQ(config.window, 16u);
    EXPECT_EQ(config_problem(config), "") << clients;
  }
}

TEST(BenchConfig, AWriteMayNotCarryMoreLinesThanTheWindowLetsBeInFlight) {
  BenchConfig config;
  EXPECT_EQ(config.lines_per_write, 1u);
  config.lines_per_write = config.window;
  EXPECT_EQ(config_problem(config), "");
  config.lines_per_write = config.window + 1;
  EXPECT_NE(config_problem(config), "");
  config.lines_per_write = 0;
  EXPECT_NE(config_problem(config), "");
  BenchConfig no_window;
  no_window.window = 0;
  EXPECT_NE(config_problem(no_window), "");
}

TEST(ProcessStats, ReadsThisProcess) {
  const auto stats = read_process_stats(::getpid());
  ASSERT_TRUE(stats.has_value());
  EXPECT_GT(stats->rss_bytes, 0u);
  EXPECT_GE(stats->threads, 1u);
}

// A helper thread and this one hand a byte back and forth over pipes: a read
// of an empty pipe sleeps, so the two switch context. The helper is still
// alive (waiting for its last byte) when the count is read.
TEST(ProcessStats, CountsTheContextSwitchesOfEveryLiveThread) {
  constexpr int kRoundTrips = 100;
  int to_helper[2] = {-1, -1};
  int from_helper[2] = {-1, -1};
  ASSERT_EQ(::pipe(to_helper), 0);
  ASSERT_EQ(::pipe(from_helper), 0);
  const auto before = read_process_stats(::getpid());
  std::jthread helper([&] {
    char byte = 0;
    while (::read(to_helper[0], &byte, 1) == 1 && byte == 'p') {
      EXPECT_EQ(::write(from_helper[1], &byte, 1), 1);
    }
  });
  char byte = 'p';
  int trips = 0;
  while (trips < kRoundTrips && ::write(to_helper[1], &byte, 1) == 1 &&
         ::read(from_helper[0], &byte, 1) == 1) {
    ++trips;
  }
  const auto after = read_process_stats(::getpid());
  byte = 'q';  // ends the helper
  EXPECT_EQ(::write(to_helper[1], &byte, 1), 1);
  helper.join();
  for (const int end : {to_helper[0], to_helper[1], from_helper[0], from_helper[1]}) ::close(end);
  EXPECT_EQ(trips, kRoundTrips);
  ASSERT_TRUE(before.has_value() && after.has_value());
  EXPECT_GT(after->context_switches, before->context_switches);
}

}  // namespace
}  // namespace lochat::bench
