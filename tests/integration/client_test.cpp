#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lochat/client/chat_client.hpp"
#include "server_fixture.hpp"

namespace lochat::test {
namespace {

// Collects what the ChatClient's receive thread hands over.
class Inbox {
 public:
  ChatClient::Callbacks callbacks() {
    return {[this](std::string_view line) {
              std::lock_guard lock(mutex_);
              lines_.emplace_back(line);
            },
            [this](bool by_server) {
              std::lock_guard lock(mutex_);
              closed_by_server_ = by_server;
            },
            {}};
  }
  bool has(std::string_view line) {
    return eventually([&] {
      std::lock_guard lock(mutex_);
      return std::find(lines_.begin(), lines_.end(), line) != lines_.end();
    });
  }
  std::optional<bool> closed_by_server() {
    std::lock_guard lock(mutex_);
    return closed_by_server_;
  }

 private:
  std::mutex mutex_;  // guards lines_ and closed_by_server_
  std::vector<std::string> lines_;
  std::optional<bool> closed_by_server_;
};

class ChatClientTest : public ServerFixture {};

TEST_F(ChatClientTest, ReceivesTheWelcomeAndTheAcknowledgement) {
  start();
  Inbox inbox;
  ChatClient client("127.0.0.1", server_->port(), inbox.callbacks());
  EXPECT_TRUE(inbox.has("Welcome to LoChat!"));
  ASSERT_TRUE(client.send_line("hi"));
  EXPECT_TRUE(inbox.has("Message Received"));
}

TEST_F(ChatClientTest, SeesOtherPeoplesMessages) {
  start();
  Inbox inbox;
  ChatClient client("127.0.0.1", server_->port(), inbox.callbacks());
  ASSERT_TRUE(inbox.has("Welcome to LoChat!"));
  auto peer = join();
  ASSERT_TRUE(eventually([&] { return server_->online() == 2; }));
  peer->send_line("ping");
  EXPECT_TRUE(inbox.has("From " + peer->local_endpoint().to_string() + ": ping"));
}

TEST_F(ChatClientTest, HalfCloseStillDeliversTheLastReplies) {
  start();
  Inbox inbox;
  ChatClient client("127.0.0.1", server_->port(), inbox.callbacks());
  ASSERT_TRUE(client.send_line("last words"));
  client.finish_sending();
  ASSERT_TRUE(client.wait_closed(kPatience));
  EXPECT_TRUE(inbox.has("Message Received"));
  EXPECT_EQ(inbox.closed_by_server(), true);
}

TEST_F(ChatClientTest, ServerShutdownIsReportedAsClosedByServer) {
  start();
  Inbox inbox;
  ChatClient client("127.0.0.1", server_->port(), inbox.callbacks());
  ASSERT_TRUE(inbox.has("Welcome to LoChat!"));
  server_->stop();
  ASSERT_TRUE(client.wait_closed(kPatience));
  EXPECT_TRUE(inbox.has("*** Server is shutting down"));
  EXPECT_EQ(inbox.closed_by_server(), true);
}

TEST_F(ChatClientTest, LocalCloseIsNotBlamedOnTheServer) {
  start();
  Inbox inbox;
  ChatClient client("127.0.0.1", server_->port(), inbox.callbacks());
  ASSERT_TRUE(inbox.has("Welcome to LoChat!"));
  client.close();
  EXPECT_EQ(inbox.closed_by_server(), false);
}

TEST(ChatClientConnect, RefusedConnectionNamesHostPortAndReason) {
  // A bound socket that never listens: connecting to it is refused, and no
  // other process can take the port while we hold it.
  FileDescriptor bound(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(bound.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const auto port = local_port(bound);
  try {
    ChatClient client("127.0.0.1", port, {});
    FAIL() << "connected to a port nobody listens on";
  } catch (const NetError& error) {
    EXPECT_EQ(std::string(error.what()),
              "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
}

}  // namespace
}  // namespace lochat::test
