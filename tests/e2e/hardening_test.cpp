// Attacks a LAN neighbour can make on the real lochat-server, and lines a
// piped client must not lose (issue "Hardening"): each test failed on the
// server before the fix. Traffic goes to 127.0.0.1 only.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "lochat/bench.hpp"
#include "pty_client.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

// Sends `chunk` again and again until the server stops taking it or `limit` passes.
void send_until_refused(LineClient& client, const std::string& chunk,
                        std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (!client.try_send_raw(chunk, until)) return;
  }
}

TEST(Hardening, OverlongLinesFromAClientThatNeverReadsCannotGrowServerMemory) {
  ServerProcess server;
  auto attacker = LineClient::staller(server.port());
  ASSERT_TRUE(server.next_connected_port());
  const auto before = resident_bytes(server.process().pid());
  std::string burst;
  for (int line = 0; line < 256; ++line) burst += std::string(4097, 'x') + "\n";
  send_until_refused(attacker, burst, std::chrono::seconds(3));
  const auto after = resident_bytes(server.process().pid());
  std::cout << "[ figures  ] server RSS " << before / 1024 << " KiB -> " << after / 1024
            << " KiB\n";
  EXPECT_LT(after, before + 32 * 1024 * 1024);
  EXPECT_TRUE(attacker.wait_closed()) << "the flooding client was not disconnected";
}

TEST(Hardening, RepliesCountAgainstTheSendQueueOfAClientThatNeverReads) {
  ServerProcess server({"--rate", "0", "--sendq", "65536"});
  auto attacker = LineClient::staller(server.port());
  std::string burst;
  for (int line = 0; line < 1000; ++line) burst += "/who\n";
  send_until_refused(attacker, burst, std::chrono::seconds(3));
  EXPECT_TRUE(attacker.wait_closed()) << "its unread replies were never counted";
  auto newcomer = LineClient(server.port());
  EXPECT_TRUE(newcomer.read_until("Welcome to LoChat!"));
}

TEST(Hardening, EveryLinePipedIntoLochatIsDeliveredPacedAndConfirmed) {
  ServerProcess server({"--rate", "50", "--burst", "10"});
  LineClient listener(server.port());
  ASSERT_TRUE(listener.read_until(kWelcome));
  ChildProcess piper({client_binary(), "--host", "127.0.0.1", "--port",
                      std::to_string(server.port()), "--name", "piper"});
  std::string input;
  for (int line = 1; line <= 100; ++line) input += std::to_string(line) + "\n";
  piper.write_stdin(input);
  piper.close_stdin();
  for (int line = 1; line <= 100; ++line) {
    ASSERT_EQ(listener.read_chat_line(), "From piper: " + std::to_string(line));
  }
  EXPECT_EQ(piper.wait_exit(), 0);
}

TEST(Hardening, LinesSentBeforeAHalfCloseAreAllDeliveredAndAcknowledged) {
  ServerProcess server({"--rate", "50", "--burst", "10"});
  LineClient listener(server.port());
  ASSERT_TRUE(listener.read_until(kWelcome));
  LineClient sender(server.port());
  ASSERT_TRUE(sender.read_until(kWelcome));
  std::string lines;
  for (int line = 1; line <= 60; ++line) lines += "line " + std::to_string(line) + "\n";
  sender.send_raw(lines);
  ::shutdown(sender.fd(), SHUT_WR);
  for (int line = 1; line <= 60; ++line) {
    const auto relayed = listener.read_chat_line();
    ASSERT_TRUE(relayed && relayed->ends_with(": line " + std::to_string(line))) << line;
  }
  int acknowledged = 0;
  while (const auto reply = sender.read_chat_line()) acknowledged += *reply == "Message Received";
  EXPECT_EQ(acknowledged, 60);
}

TEST(Hardening, LochatSaysHowManyLinesWereNotConfirmedWhenItGivesUp) {
  SilentServer server;
  ChildProcess lochat({client_binary(), "--host", "127.0.0.1", "--port",
                       std::to_string(server.port()), "--name", "piper"});
  ASSERT_TRUE(server.accept_and_greet());
  lochat.write_stdin("one\ntwo\n");
  lochat.close_stdin();
  ASSERT_TRUE(server.receive_line("two"));
  EXPECT_TRUE(lochat.stderr_contains("2 of 2 lines were not confirmed by the server"));
  EXPECT_EQ(lochat.wait_exit(), 1);
}

TEST(Hardening, ReconnectingDoesNotResetFloodControl) {
  // Per connection 10 lines a second after 5; per address four times that.
  ServerProcess server({"--rate", "10", "--burst", "5"});
  LineClient listener(server.port());
  ASSERT_TRUE(listener.read_until(kWelcome));
  constexpr int kRounds = 10;
  constexpr int kLinesPerRound = 5;  // each connection stays within its own burst
  const auto started = std::chrono::steady_clock::now();
  // Each connection says its lines and hangs up (a half-close: a close with
  // unread replies would be a reset, and a reset connection's lines are lost).
  std::vector<LineClient> churners;
  for (int round = 0; round < kRounds; ++round) {
    auto& churner = churners.emplace_back(server.port());
    ASSERT_TRUE(churner.read_until(kWelcome));
    std::string lines;
    for (int line = 0; line < kLinesPerRound; ++line) lines += "churn\n";
    churner.send_raw(lines);
    ::shutdown(churner.fd(), SHUT_WR);
  }
  for (int line = 0; line < kRounds * kLinesPerRound; ++line) {
    const auto relayed = listener.read_chat_line();
    ASSERT_TRUE(relayed && relayed->ends_with(": churn")) << line;
  }
  // 50 lines, 20 at once, then 40 a second: at least 0.75 s; a lower bound
  // that no slow machine breaks. Before, every new connection had a fresh burst.
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(700));
}

TEST(Hardening, AnAddressThatKeepsReconnectingIsNotAnnouncedEachTime) {
  ServerProcess server;
  LineClient listener(server.port());
  // The greeting's own list, before the churn.
  ASSERT_TRUE(listener.read_until(kWelcome));
  const auto description = listener.read_line();
  ASSERT_TRUE(description && description->starts_with("*** lochat-server protocol "));
  const auto roster = listener.read_line();
  ASSERT_TRUE(roster && roster->starts_with("*** Online ("));
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    LineClient churner(server.port());
    const std::string name = "churner" + std::to_string(round);
    churner.send_line("/nick " + name);
    ASSERT_TRUE(churner.read_until("*** You are now known as " + name));
  }
  listener.send_line("/who");
  int joins = 0;
  while (const auto line = listener.read_line()) {
    if (line->starts_with("*** Online (")) break;
    joins += line->find(" joined (") != std::string::npos;
  }
  EXPECT_LE(joins, 4) << "a reconnect loop filled the screen with join notices";
}

TEST(Hardening, ANewcomerIsGreetedWhateverLongLinesTheHistoryHolds) {
  // Twenty 16 KB lines of history are 320 KB: more than this --sendq.
  ServerProcess server({"--sendq", "65536", "--max-line", "16384", "--rate", "0"});
  LineClient poster(server.port());
  ASSERT_TRUE(poster.read_until(kWelcome));
  for (int line = 0; line < 20; ++line) {
    poster.send_line(std::to_string(line) + std::string(16000, 'h'));
    ASSERT_EQ(poster.read_chat_line(), "Message Received");
  }
  LineClient newcomer(server.port());
  ASSERT_TRUE(newcomer.read_until(kWelcome));
  newcomer.send_line("made it");
  EXPECT_TRUE(newcomer.read_until("Message Received")) << "the newcomer was dropped";
}

TEST(Hardening, TheLineLimitHoldsForWhatIsRelayedAfterCleaning) {
  ServerProcess server;
  LineClient listener(server.port());
  ASSERT_TRUE(listener.read_until(kWelcome));
  LineClient sender(server.port());
  ASSERT_TRUE(sender.read_until(kWelcome));
  // 4,096 invalid bytes: within the limit as read, 12,288 bytes once each is U+FFFD.
  sender.send_raw(std::string(4096, '\xFF') + "\n");
  EXPECT_EQ(sender.read_chat_line(), "Error: line too long (more than 4096 bytes), not sent");
  sender.send_line("after");
  const auto relayed = listener.read_chat_line();
  EXPECT_TRUE(relayed && relayed->ends_with(": after")) << relayed.value_or("(nothing)");
}

// Connections reset before the server accepted them (a SYN-and-RST storm) are
// neither served nor logged as "Connected to: , 0": the server is paused
// (SIGSTOP, our own child) while they connect and reset, so all of them are
// still in its accept queue when it resumes.
TEST(Hardening, ConnectionsResetBeforeAcceptAreNotServedOrLogged) {
  ServerProcess server({"--no-discovery"});
  server.process().send_signal(SIGSTOP);
  for (int i = 0; i < 20; ++i) {
    LineClient doomed(server.port());
    set_reset_on_close(FileDescriptor(::dup(doomed.fd())));
    doomed.close();
  }
  server.process().send_signal(SIGCONT);
  LineClient alice(server.port());
  ASSERT_TRUE(alice.read_until("Welcome to LoChat!"));
  const auto alice_port = alice.local_endpoint().port;
  // Every "Connected to" line up to alice's names a real peer.
  int empty_peers = 0;
  while (const auto line = server.process().read_stderr_line(2s)) {
    if (line->find("Connected to: , 0") != std::string::npos) ++empty_peers;
    if (line->find("Connected to: 127.0.0.1, " + std::to_string(alice_port)) != std::string::npos) {
      break;
    }
  }
  EXPECT_EQ(empty_peers, 0);
}

}  // namespace
}  // namespace lochat::test
