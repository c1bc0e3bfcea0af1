#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "all_to_all.hpp"
#include "server_fixture.hpp"

namespace lochat::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string relay_from(const LineClient& sender, std::string_view text) {
  return "From " + sender.local_endpoint().to_string() + ": " + std::string(text);
}

class ServerTest : public ServerFixture {};

TEST_F(ServerTest, GreetsEveryClientFirst) {
  start();
  LineClient client(server_->port());
  EXPECT_EQ(client.read_chat_line(), "Welcome to LoChat!");
}

TEST_F(ServerTest, AcknowledgesToTheSenderAndRelaysToTheOthersOnly) {
  start();
  auto alice = join();
  auto bob = join();
  auto carol = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 3; }));

  alice->send_line("hello everyone");
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
  EXPECT_EQ(bob->read_chat_line(), relay_from(*alice, "hello everyone"));
  EXPECT_EQ(carol->read_chat_line(), relay_from(*alice, "hello everyone"));

  // Bob answers only after he saw Alice's line, so had the server echoed
  // "hello everyone" back to Alice it would reach her before Bob's answer.
  bob->send_line("hi alice");
  EXPECT_EQ(bob->read_chat_line(), "Message Received");
  EXPECT_EQ(alice->read_chat_line(), relay_from(*bob, "hi alice"));
  EXPECT_EQ(carol->read_chat_line(), relay_from(*bob, "hi alice"));
}

TEST_F(ServerTest, EmptyLinesAreIgnored) {
  start();
  auto alice = join();
  auto bob = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));
  alice->send_raw("\n \r\n\t\nreal\n");
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
  EXPECT_EQ(bob->read_chat_line(), relay_from(*alice, "real"));
}

TEST_F(ServerTest, LinesSplitAndMergedByTcpArriveWhole) {
  start();
  auto alice = join();
  auto bob = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));
  alice->send_raw("first hal");
  ASSERT_TRUE(bob->nothing_within(std::chrono::milliseconds(100)));
  alice->send_raw("f\r\nsecond\nthi");
  alice->send_raw("rd\n");
  EXPECT_EQ(bob->read_chat_line(), relay_from(*alice, "first half"));
  EXPECT_EQ(bob->read_chat_line(), relay_from(*alice, "second"));
  EXPECT_EQ(bob->read_chat_line(), relay_from(*alice, "third"));
}

TEST_F(ServerTest, DisconnectRemovesTheClient) {
  start();
  auto alice = join();
  auto bob = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));
  bob->close();
  ASSERT_TRUE(eventually([&] { return server_->online() == 1; }));
  EXPECT_TRUE(eventually([&] { return server_->session_threads() == 1; }));
  alice->send_line("anyone?");
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
}

TEST_F(ServerTest, UnknownCommandIsAnErrorAndNotRelayed) {
  start();
  auto alice = join();
  auto bob = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));
  alice->send_line("/frobnicate now");
  EXPECT_EQ(alice->read_chat_line(), "Error: unknown command /frobnicate (try /help)");
  alice->send_line("//frobnicate is not a command");
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
  EXPECT_EQ(bob->read_chat_line(), relay_from(*alice, "/frobnicate is not a command"));
}

TEST_F(ServerTest, QuitCommandSaysGoodbyeAndCloses) {
  start();
  auto alice = join();
  alice->send_line("/quit off to lunch");
  EXPECT_TRUE(alice->read_until("*** Goodbye (off to lunch)"));
  EXPECT_TRUE(alice->wait_closed());
  EXPECT_TRUE(eventually([&] { return server_->online() == 0; }));
}

TEST_F(ServerTest, OverlongLineIsRefusedAndTheConnectionStays) {
  ServerConfig config;
  config.session.max_line = 64;
  start(config);
  auto alice = join();
  auto bob = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));
  alice->send_line(std::string(65, 'x'));
  EXPECT_EQ(alice->read_chat_line(), "Error: line too long (more than 64 bytes), not sent");
  alice->send_line(std::string(64, 'y'));
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
  EXPECT_EQ(bob->read_chat_line(), relay_from(*alice, std::string(64, 'y')));
}

// Every peer gets every message exactly once, intact, in each sender's order.
TEST_F(ServerTest, TwentyClientsTimesHundredMessagesAllDelivered) {
  ServerConfig config;
  config.session.rate = 0;  // a load test, not a test of flood control
  start(config);
  EXPECT_EQ(all_to_all_failures(server_->port(), 20, 100), std::vector<std::string>{});
}

// Bob's line reaches the server just after its write of Alice's line to Carol,
// within the coalescing window, so it is held back to share a write with
// whatever comes next. Nothing does: the session's own thread must write it
// when the window ends, not when it next looks on its own (5 s for a client
// that has spoken and sits idle, as Carol does).
TEST_F(ServerTest, LineHeldBackToShareAWriteArrivesWhenNothingFollows) {
  constexpr std::chrono::milliseconds kWellUnderTheIdleLook{2000};
  start();
  auto alice = join();
  auto bob = join();
  auto carol = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 3; }));
  carol->send_line("hi");
  ASSERT_EQ(carol->read_chat_line(), "Message Received");
  ASSERT_TRUE(alice->read_until(relay_from(*carol, "hi")));
  ASSERT_TRUE(bob->read_until(relay_from(*carol, "hi")));
  for (int round = 0; round < 10; ++round) {
    const std::string from_alice = "round " + std::to_string(round) + " from alice";
    const std::string from_bob = "round " + std::to_string(round) + " from bob";
    alice->send_line(from_alice);
    ASSERT_EQ(carol->read_chat_line(), relay_from(*alice, from_alice));
    bob->send_line(from_bob);
    ASSERT_EQ(carol->read_chat_line(kWellUnderTheIdleLook), relay_from(*bob, from_bob));
    ASSERT_TRUE(alice->read_until(relay_from(*bob, from_bob)));
    ASSERT_TRUE(bob->read_until(relay_from(*alice, from_alice)));
  }
}

// Bob's last line follows Alice's to Carol within the coalescing window, so
// it is held back; then Bob leaves while the server still holds lines it
// cannot write to him, and his session lingers to flush them. What Carol is
// owed must go out when Bob's session starts closing, not when it ends.
TEST_F(ServerTest, LineHeldBackFromAClientThatLeavesDoesNotWaitForItsLinger) {
  constexpr std::chrono::milliseconds kWellUnderTheLinger{2000};
  ServerConfig config;
  config.session.rate = 0;  // a load test, not a test of flood control
  config.session.sendq_bytes = 4 * 1024 * 1024;
  config.session.linger = 5s;
  start(config);
  auto bob = LineClient::staller(server_->port());
  auto alice = join();
  auto carol = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 3; }));
  // About 600 KB for Bob, who never reads: his socket fills, his queue does not.
  const std::string filler(1000, 'f');
  for (int m = 0; m < 600; ++m) {
    alice->send_line(filler);
    ASSERT_EQ(alice->read_chat_line(), "Message Received");
    ASSERT_EQ(carol->read_chat_line(), relay_from(*alice, filler));
  }
  alice->send_line("just before");
  bob.send_line("last words");
  ::shutdown(bob.fd(), SHUT_WR);
  // Alice's and Bob's lines race through their own threads: either may come first.
  std::set<std::optional<std::string>> heard;
  heard.insert(carol->read_chat_line(kWellUnderTheLinger));
  heard.insert(carol->read_chat_line(kWellUnderTheLinger));
  EXPECT_EQ(heard, (std::set<std::optional<std::string>>{relay_from(*alice, "just before"),
                                                         relay_from(bob, "last words")}));
}

// A client that never reads fills its bounded queue and is disconnected;
// nobody else waits for it.
TEST_F(ServerTest, ClientThatNeverReadsDoesNotDelayTheOthers) {
  ServerConfig config;
  config.session.sendq_bytes = 32 * 1024;
  config.session.rate = 0;  // a load test, not a test of flood control
  start(config);
  auto staller = LineClient::staller(server_->port());
  auto alice = join();
  auto bob = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 3; }));

  constexpr int kMessages = 2000;
  const std::string payload(400, 'p');
  const std::string relayed = relay_from(*alice, payload);
  // Bob reads in step with Alice, so only the staller ever falls behind. Were
  // delivery to the staller blocking, Alice's acks and Bob's lines would stop
  // once its socket buffers filled, and read_line would time out.
  int acks = 0;
  int bob_received = 0;
  for (int m = 0; m < kMessages; ++m) {
    alice->send_line(payload);
    if (alice->read_chat_line() == "Message Received") ++acks;
    if (bob->read_chat_line() == relayed) ++bob_received;
  }
  EXPECT_EQ(acks, kMessages);
  EXPECT_EQ(bob_received, kMessages);
  EXPECT_TRUE(eventually([&] { return server_->online() == 2; }))
      << "the staller should have been disconnected";
  EXPECT_TRUE(staller.wait_closed());
}

// A reader that pauses until the server cannot write to it any more, then
// reads again, gets every line, in order: what the senders could not write
// waits in its queue and its own session writes it once the socket drains.
TEST_F(ServerTest, ReaderThatPausesGetsEverythingInOrderWhenItReadsAgain) {
  ServerConfig config;
  config.session.sendq_bytes = 1024 * 1024;
  config.session.rate = 0;  // a load test, not a test of flood control
  start(config);
  // About 330 KB for Bob: well past what his small receive buffer and the
  // server's send buffer hold, well inside his queue.
  auto bob = LineClient::staller(server_->port());
  auto alice = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));

  constexpr int kMessages = 1500;
  const std::string filler(180, 'x');
  for (int m = 0; m < kMessages; ++m) {
    alice->send_line(std::to_string(m) + " " + filler);
    ASSERT_EQ(alice->read_chat_line(), "Message Received");
  }
  EXPECT_EQ(bob.read_line(), "Welcome to LoChat!");
  for (int m = 0; m < kMessages; ++m) {
    ASSERT_EQ(bob.read_chat_line(), relay_from(*alice, std::to_string(m) + " " + filler));
  }
  EXPECT_EQ(server_->online(), 2U);
}

TEST_F(ServerTest, ShutdownWithTwentyClientsIsFastAndJoinsEveryThread) {
  constexpr std::size_t kClients = 20;
  start();
  std::vector<std::unique_ptr<LineClient>> clients;
  for (std::size_t i = 0; i < kClients; ++i) clients.push_back(join());
  ASSERT_TRUE(eventually([&] { return server_->online() == kClients; }));
  ASSERT_EQ(server_->session_threads(), kClients);

  const auto started = Clock::now();
  server_->stop();
  runner_.join();
  const auto elapsed = Clock::now() - started;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_EQ(server_->session_threads(), 0U);
  EXPECT_EQ(server_->online(), 0U);
  for (auto& client : clients) {
    EXPECT_TRUE(client->read_until("*** Server is shutting down"));
    EXPECT_TRUE(client->wait_closed());
  }
}

TEST_F(ServerTest, PortInUseIsOneClearError) {
  start();
  ServerConfig second;
  second.host = "127.0.0.1";
  second.port = server_->port();
  try {
    Server clash(second);
    FAIL() << "a second server bound the same port";
  } catch (const NetError& error) {
    EXPECT_EQ(
        std::string(error.what()),
        "cannot listen on 127.0.0.1:" + std::to_string(second.port) + ": Address already in use");
  }
}

}  // namespace
}  // namespace lochat::test
