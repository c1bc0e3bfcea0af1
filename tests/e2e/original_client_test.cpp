// The original LoChat client (Python) sends each message with no newline, one
// `sendall` per message, at least 0.5 s apart, and prints whatever it
// receives. These tests speak to the real lochat-server exactly as it does.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace lochat::test {
namespace {

using namespace std::chrono_literals;

// The original client sleeps this long after each message before it asks for the next.
constexpr auto kOriginalClientPause = 500ms;

struct OriginalClientTest : ::testing::Test {
  ServerProcess server;
  LineClient listener{server.port()};
  void SetUp() override { ASSERT_TRUE(listener.read_until("Welcome to LoChat!")); }

  // The sender hears "Message Received" and the listener the message.
  void expect_acknowledged_and_relayed(LineClient& sender, const std::string& text) {
    EXPECT_EQ(sender.read_chat_line(), "Message Received");
    const auto line = listener.read_chat_line();
    EXPECT_TRUE(line && line->starts_with("From ") && line->ends_with(": " + text))
        << line.value_or("(nothing)");
  }

  // A client that has read its welcome, as the original does before its first message.
  LineClient greeted_client() {
    LineClient client(server.port());
    EXPECT_TRUE(client.read_until("Welcome to LoChat!"));
    return client;
  }
};

bool relays(LineClient& listener, const std::string& text) {
  const auto line = listener.read_chat_line();
  return line && line->starts_with("From ") && line->ends_with(": " + text);
}

TEST_F(OriginalClientTest, EachMessageWithoutANewlineIsRelayedAndAcknowledged) {
  auto original = greeted_client();
  original.send_raw("hello from python");
  expect_acknowledged_and_relayed(original, "hello from python");
  std::this_thread::sleep_for(kOriginalClientPause);
  original.send_raw("second message");
  expect_acknowledged_and_relayed(original, "second message");
}

TEST_F(OriginalClientTest, AMessageThatTcpSplitsIsStillOneMessage) {
  auto original = greeted_client();
  original.send_raw("split in ");
  std::this_thread::sleep_for(20ms);  // two segments, as a busy network may deliver them
  original.send_raw("two segments");
  expect_acknowledged_and_relayed(original, "split in two segments");
}

TEST_F(OriginalClientTest, AClientThatEndsLinesWithNewlinesIsNeverCutShort) {
  auto typist = greeted_client();
  typist.send_line("first");
  EXPECT_TRUE(relays(listener, "first"));
  typist.send_raw("a line still being ");
  EXPECT_TRUE(listener.nothing_within(1s)) << "a half-sent line went out without its newline";
  typist.send_raw("typed\n");
  EXPECT_TRUE(relays(listener, "a line still being typed"));
}

TEST_F(OriginalClientTest, ALastMessageWithoutANewlineBeforeClosingIsDelivered) {
  auto sender = greeted_client();
  sender.send_raw("bye for now");
  ::shutdown(sender.fd(), SHUT_WR);
  EXPECT_TRUE(relays(listener, "bye for now"));
}

}  // namespace
}  // namespace lochat::test
