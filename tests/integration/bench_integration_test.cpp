// lochat-bench's library against the real lochat-server binary on 127.0.0.1.
#include <gtest/gtest.h>

#include <chrono>

#include "lochat/bench.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

using bench::BenchConfig;

BenchConfig small_run(const ServerProcess& server, std::size_t clients, std::size_t messages) {
  BenchConfig config;
  config.port = server.port();
  config.clients = clients;
  config.messages = messages;
  config.timeout = 30s;
  return config;
}

TEST(BenchIntegration, EveryMessageReachesEveryPeerIntact) {
  ServerProcess server({"--rate", "0"});
  auto config = small_run(server, 5, 200);
  config.server_pid = server.process().pid();
  const auto report = bench::run_bench(config);
  EXPECT_TRUE(report.passed()) << bench::format_table(report);
  EXPECT_EQ(report.counts.delivered, 5u * 200 * 4);
  EXPECT_EQ(report.counts.errors(), 0u);
  EXPECT_EQ(report.sent, 5u * 200);
  EXPECT_EQ(report.greeted, 5u);
  EXPECT_EQ(report.disconnected, 0u);
  EXPECT_GT(report.latency.max.count(), 0);
  ASSERT_TRUE(report.server_after.has_value());
  EXPECT_GT(report.server_after->threads, 0u);
}

// lochat replays recent messages to newcomers; lines of an earlier run must
// not count as duplicates or reorderings in the next one.
TEST(BenchIntegration, ASecondRunIgnoresTheFirstRunsReplayedHistory) {
  ServerProcess server({"--rate", "0"});
  ASSERT_TRUE(bench::run_bench(small_run(server, 3, 50)).passed());
  const auto second = bench::run_bench(small_run(server, 3, 50));
  EXPECT_TRUE(second.passed()) << bench::format_table(second);
  EXPECT_GT(second.counts.foreign, 0u);
}

TEST(BenchIntegration, RateLimitedClientsStillDeliverEverything) {
  ServerProcess server({"--rate", "0"});
  auto config = small_run(server, 3, 20);
  config.rate = 200;
  const auto report = bench::run_bench(config);
  EXPECT_TRUE(report.passed()) << bench::format_table(report);
  // The 20th message of each client is due 19/200 s after the start.
  EXPECT_GE(report.elapsed, 90ms);
}

TEST(BenchIntegration, ConnectOnlyCountsTheClientsTheServerAccepts) {
  ServerProcess server({"--max-clients", "8"});
  BenchConfig config;
  config.port = server.port();
  config.connect_only = 10;
  // Long enough to read the refused clients' end of stream after their error line.
  config.hold = 1s;
  config.server_pid = server.process().pid();
  const auto report = bench::run_connect_only(config);
  EXPECT_EQ(report.connected, 10u);  // the kernel completes the handshake ...
  EXPECT_EQ(report.greeted, 10u);    // ... the server greets 8 and refuses 2 with an error line
  EXPECT_EQ(report.held, 8u) << bench::format_table(report);
  EXPECT_FALSE(report.passed());
  EXPECT_TRUE(report.server_after.has_value());
}

}  // namespace
}  // namespace lochat::test
