// What the real lochat-server holds for clients that read slowly or not at
// all (issue "Performance", point 4): a reader that keeps reading is never
// dropped for someone else's burst; one that stops is, and memory stays
// bounded. Traffic goes to 127.0.0.1 only.
#include <gtest/gtest.h>

#include <string>

#include "lochat/bench.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

std::string numbered(int number, const std::string& filler) {
  return std::to_string(number) + " " + filler;
}

// 1.2 MB of others' lines wait for Bob while he does not read: four times
// what the old 256 KiB --sendq allowed. They are shared lines, so Bob is
// charged their slots only, and he gets every one, in order, once he reads.
TEST(SendQueue, AReaderFarBehindABurstIsNotDroppedAndGetsEverything) {
  ServerProcess server({"--rate", "0"});
  auto bob = LineClient::staller(server.port());
  // Logged once Bob's session has joined the room: every later line is his too.
  ASSERT_TRUE(server.next_connected_port());
  LineClient alice(server.port());
  ASSERT_TRUE(alice.read_until("Welcome to LoChat!"));
  constexpr int kLines = 3000;
  const std::string filler(400, 'b');
  for (int line = 0; line < kLines; ++line) {
    alice.send_line(numbered(line, filler));
    ASSERT_EQ(alice.read_chat_line(), "Message Received");
  }
  ASSERT_TRUE(bob.read_until("Welcome to LoChat!"));
  const std::string prefix = "From " + alice.local_endpoint().to_string() + ": ";
  for (int line = 0; line < kLines; ++line) {
    ASSERT_EQ(bob.read_chat_line(), prefix + numbered(line, filler)) << "line " << line;
  }
}

// A client that stops reading with lines waiting is dropped once it has
// taken no byte for --sendq-timeout, however little it is charged; the
// others hear why, and the server's memory does not grow with the lines
// the client never read.
TEST(SendQueue, AClientThatStopsReadingIsDroppedAfterTheTimeoutWithANotice) {
  ServerProcess server({"--rate", "0", "--sendq-timeout", "1"});
  auto staller = LineClient::staller(server.port());
  LineClient alice(server.port());
  ASSERT_TRUE(alice.read_until("Welcome to LoChat!"));
  const auto before = resident_bytes(server.process().pid());
  const std::string filler(1000, 's');
  // Enough to fill the staller's socket buffers (a few hundred KB), then
  // more until it is dropped; bounded by count.
  bool dropped = false;
  for (int line = 0; line < 20'000 && !dropped; ++line) {
    alice.send_line(filler);
    while (const auto reply = alice.read_line()) {
      if (reply->find("was disconnected: not reading") != std::string::npos) dropped = true;
      if (*reply == "Message Received") break;
    }
  }
  EXPECT_TRUE(dropped) << "nobody heard the staller was dropped";
  EXPECT_TRUE(staller.wait_closed());
  const auto after = resident_bytes(server.process().pid());
  std::cout << "[ figures  ] server RSS " << before / 1024 << " KiB -> " << after / 1024
            << " KiB\n";
  EXPECT_LT(after, before + 32 * 1024 * 1024);
}

// Two clients that never read hold lines alive; past --sendq-total the one
// furthest behind (the first staller, which stopped earlier) is dropped, the
// other stays and gets everything it was sent.
TEST(SendQueue, PastTheServerWideBoundTheClientFurthestBehindIsDropped) {
  ServerProcess server(
      {"--rate", "0", "--sendq-total", "3000000", "--sendq-timeout", "600", "--history", "0"});
  auto first = LineClient::staller(server.port());
  ASSERT_TRUE(server.next_connected_port());
  LineClient alice(server.port());
  ASSERT_TRUE(alice.read_until("Welcome to LoChat!"));
  ASSERT_TRUE(server.next_connected_port());
  const std::string filler(1000, 't');
  auto send_acknowledged = [&](int line) {
    alice.send_line(numbered(line, filler));
    bool acknowledged = false;
    bool first_dropped = false;
    while (const auto reply = alice.read_line()) {
      if (reply->find("was disconnected: too far behind") != std::string::npos) {
        first_dropped = true;
      }
      if (*reply == "Message Received") {
        acknowledged = true;
        break;
      }
    }
    EXPECT_TRUE(acknowledged);
    return first_dropped;
  };
  constexpr int kHeadStart = 1000;  // about 1 MB the first staller is further behind
  for (int line = 0; line < kHeadStart; ++line) send_acknowledged(line);
  auto second = LineClient::staller(server.port());
  // Logged once it has joined the room: every later line is its.
  ASSERT_TRUE(server.next_connected_port());
  bool first_dropped = false;
  int sent = kHeadStart;
  for (; sent < 10'000 && !first_dropped; ++sent) first_dropped = send_acknowledged(sent);
  EXPECT_TRUE(first_dropped) << "no client was dropped past the server-wide bound";
  EXPECT_TRUE(first.wait_closed());
  ASSERT_TRUE(second.read_until("Welcome to LoChat!"));
  const std::string prefix = "From " + alice.local_endpoint().to_string() + ": ";
  for (int line = kHeadStart; line < sent; ++line) {
    ASSERT_EQ(second.read_chat_line(), prefix + numbered(line, filler)) << "line " << line;
  }
}

// A staller that asks for `name` (see wait_listed) and never reads.
LineClient named_staller(ServerProcess& server, const std::string& name) {
  auto staller = LineClient::staller(server.port());
  staller.send_line("/nick " + name);
  EXPECT_TRUE(server.next_connected_port());
  return staller;
}

// Until /who lists `name`: a staller's /nick is handled on its own thread,
// so its connection being logged does not mean its name is taken yet.
bool wait_listed(LineClient& client, const std::string& name) {
  return eventually([&] {
    client.send_line("/who");
    while (const auto line = client.read_line()) {
      if (line->starts_with("*** Online (")) return line->find(" " + name) != std::string::npos;
    }
    return false;
  });
}

// Sends up to `count` private messages of `size` bytes to `to`, each answered
// (acknowledged, or refused once `to` has gone); how many were acknowledged.
int send_private(LineClient& from, const std::string& to, int count, std::size_t size) {
  const std::string text(size, 'p');
  int acknowledged = 0;
  for (int line = 0; line < count; ++line) {
    from.send_line("/msg " + to + " " + text);
    const auto answer = from.read_chat_line();
    if (answer != "Message Received") break;
    ++acknowledged;
  }
  return acknowledged;
}

// Found by an adversarial run: private messages were charged a slot each,
// like broadcast lines, so a client that barely read pinned some 84 MB of
// 4 KB messages. A private message is for one client alone: charged in full.
TEST(SendQueue, PrivateMessagesCountInFullAgainstTheRecipientsSendQueue) {
  ServerProcess server({"--rate", "0", "--sendq", "65536", "--sendq-timeout", "600"});
  auto victim = named_staller(server, "victim");
  LineClient sender(server.port());
  ASSERT_TRUE(sender.read_until("Welcome to LoChat!"));
  ASSERT_TRUE(wait_listed(sender, "victim"));
  // 200 x 4 KB: 800 KB for a client allowed 64 KiB (slots alone would be 9.6 KB).
  EXPECT_LT(send_private(sender, "victim", 200, 4000), 200) << "the victim was never dropped";
  EXPECT_TRUE(victim.wait_reset());
}

// Past --sendq-total the client furthest behind is dropped whatever filled
// the queues: private messages here, with no broadcast at all.
TEST(SendQueue, TheServerWideBoundHoldsForPrivateMessagesToo) {
  ServerProcess server(
      {"--rate", "0", "--sendq", "8000000", "--sendq-total", "1000000", "--sendq-timeout", "600"});
  auto far = named_staller(server, "far");
  auto near = named_staller(server, "near");
  LineClient sender(server.port());
  ASSERT_TRUE(sender.read_until("Welcome to LoChat!"));
  ASSERT_TRUE(wait_listed(sender, "far"));
  ASSERT_TRUE(wait_listed(sender, "near"));
  ASSERT_EQ(send_private(sender, "near", 50, 4000), 50);
  EXPECT_LT(send_private(sender, "far", 300, 4000), 300) << "far was never dropped";
  EXPECT_TRUE(far.wait_reset()) << "1.2 MB queued against a 1 MB server-wide bound";
  EXPECT_FALSE(near.wait_reset(500ms)) << "only the client furthest behind goes";
}

}  // namespace
}  // namespace lochat::test
