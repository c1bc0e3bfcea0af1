#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include "server_fixture.hpp"

namespace lochat::test {
namespace {

using Clock = std::chrono::steady_clock;

class LimitsTest : public ServerFixture {};

TEST_F(LimitsTest, FullServerRefusesWithOneLineAndKeepsAccepting) {
  ServerConfig config;
  config.max_clients = 2;
  start(config);
  auto alice = join();
  auto bob = join();
  LineClient refused(server_->port());
  EXPECT_EQ(refused.read_line(), "Error: server full (2 clients), try again later");
  EXPECT_TRUE(refused.wait_closed());
  bob->close();
  ASSERT_TRUE(eventually([&] { return server_->session_threads() == 1; }));
  auto carol = join();
  carol->send_line("made it");
  EXPECT_EQ(carol->read_chat_line(), "Message Received");
}

TEST_F(LimitsTest, PerAddressLimitRefusesTheExtraConnection) {
  ServerConfig config;
  config.max_per_ip = 2;
  start(config);
  auto first = join();
  auto second = join();
  LineClient third(server_->port());
  EXPECT_EQ(third.read_line(), "Error: too many connections from 127.0.0.1 (limit 2)");
  EXPECT_TRUE(third.wait_closed());
}

TEST_F(LimitsTest, PasteWithinTheBurstIsDeliveredAtOnceAndTheRestIsDelayedNotDropped) {
  ServerConfig config;
  config.session.rate = 20;
  config.session.burst = 5;
  start(config);
  auto alice = join();
  auto bob = join();
  constexpr int kLines = 15;
  std::string paste;
  for (int i = 0; i < kLines; ++i) paste += "line " + std::to_string(i) + "\n";
  const auto started = Clock::now();
  alice->send_raw(paste);
  for (int i = 0; i < kLines; ++i) {
    EXPECT_EQ(bob->read_chat_line(),
              "From " + alice->local_endpoint().to_string() + ": line " + std::to_string(i));
  }
  // Ten lines past the burst at twenty a second cannot all arrive in under
  // half a second: a lower bound, which a slow machine cannot break.
  EXPECT_GE(Clock::now() - started, std::chrono::milliseconds(450));
}

TEST_F(LimitsTest, PersistentFloodIsDisconnectedWithAReasonAndOthersCarryOn) {
  ServerConfig config;
  config.session.rate = 10;
  config.session.burst = 5;
  config.session.flood_lines = 50;
  start(config);
  auto bob = join();
  bob->send_line("/nick bob");
  auto flooder = join();
  flooder->send_line("/nick flooder");
  std::string flood;
  for (int i = 0; i < 500; ++i) flood += "spam " + std::to_string(i) + "\n";
  flooder->send_raw(flood);
  EXPECT_TRUE(flooder->read_until("Error: disconnected: flooding (more than 50 lines waiting)"));
  EXPECT_TRUE(flooder->wait_closed());
  EXPECT_TRUE(bob->read_until(
      "*** flooder was disconnected: flooding (more than 50 lines waiting) (1 online)"));
  bob->send_line("quiet again");
  EXPECT_EQ(bob->read_chat_line(), "Message Received");
}

TEST_F(LimitsTest, IdleClientsAreDisconnectedWhenAsked) {
  ServerConfig config;
  config.session.idle_timeout = std::chrono::milliseconds(300);
  start(config);
  auto sleeper = join();
  EXPECT_TRUE(sleeper->read_until("Error: disconnected: idle for more than 0s"));
  EXPECT_TRUE(sleeper->wait_closed());
}

TEST_F(LimitsTest, AbruptDisconnectMidLineRelaysNothingPartial) {
  start();
  auto bob = join();
  {
    auto quitter = join();
    // Both end their lines with newlines (a client that never does is the
    // original LoChat client, whose unterminated messages are relayed).
    quitter->send_line("/nick quitter");
    quitter->send_raw("half a mess");
    const linger reset_on_close{1, 0};
    ::setsockopt(quitter->fd(), SOL_SOCKET, SO_LINGER, &reset_on_close, sizeof reset_on_close);
    quitter->close();  // RST, not FIN
  }
  auto half_closer = join();
  half_closer->send_line("/nick closer");
  half_closer->send_raw("no newline here");
  ::shutdown(half_closer->fd(), SHUT_WR);
  EXPECT_TRUE(half_closer->wait_closed());
  ASSERT_TRUE(eventually([&] { return server_->online() == 1; }));
  bob->send_line("am I alone?");
  EXPECT_EQ(bob->read_chat_line(), "Message Received");
}

}  // namespace
}  // namespace lochat::test
