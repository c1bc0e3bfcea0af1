#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server_fixture.hpp"

// One machine cannot take every place: each 127.x address is another machine
// to the server, as an alias is on a LAN (traffic still goes to 127.0.0.1).
namespace lochat::test {
namespace {

using Clock = std::chrono::steady_clock;

class AdmissionTest : public ServerFixture {
 protected:
  void start_with_places(std::size_t max_clients) {
    ServerConfig config;
    config.max_clients = max_clients;
    start(config);
  }

  std::vector<std::unique_ptr<LineClient>> join_many(const std::string& source, int count) {
    std::vector<std::unique_ptr<LineClient>> clients;
    for (int i = 0; i < count; ++i) clients.push_back(join(source));
    return clients;
  }
};

TEST_F(AdmissionTest, TheLastPlacesAreKeptForOtherMachines) {
  start_with_places(16);  // its last 4 are the reserve
  auto hog = join_many("127.0.0.1", 12);
  auto one_more = LineClient::from("127.0.0.1", server_->port());
  EXPECT_EQ(one_more.read_line(),
            "Error: server nearly full: its last 4 places are kept for other machines, and "
            "127.0.0.1 has 4 or more connections");
  EXPECT_TRUE(one_more.wait_closed());
  auto colleague = join("127.0.0.2");
  colleague->send_line("I got in");
  EXPECT_TRUE(colleague->read_until("Message Received"));
}

TEST_F(AdmissionTest, AFullServerClosesTheLatestSilentConnectionOfABusierMachineForANewcomer) {
  start_with_places(8);
  auto hog = join_many("127.0.0.1", 6);
  auto pair = join_many("127.0.0.2", 2);
  auto newcomer = join("127.0.0.3");
  EXPECT_TRUE(hog.back()->read_until(
      "Error: disconnected: the server is full and needs this place for another machine (this "
      "connection sent nothing)"));
  EXPECT_TRUE(hog.back()->wait_closed());
  hog.pop_back();
  ASSERT_TRUE(eventually([&] { return server_->session_threads() == 8; }));

  // Connections that have spoken keep their places: the next newcomer is refused.
  for (auto& client : hog) {
    client->send_line("still here");
    EXPECT_TRUE(client->read_until("Message Received"));
  }
  auto refused = LineClient::from("127.0.0.4", server_->port());
  EXPECT_EQ(refused.read_line(), "Error: server full (8 clients), try again later");
  EXPECT_TRUE(refused.wait_closed());
  newcomer->send_line("and I stay");
  EXPECT_TRUE(newcomer->read_until("Message Received"));
}

// Found by an adversarial run: one empty line made a connection count as
// speaking, so one address held 1,008 places with "\n" each. Only a line
// relayed or a name taken counts; asking who is on does not.
TEST_F(AdmissionTest, AConnectionThatSentOnlyAnEmptyLineOrAWhoMakesRoomButOneWithANameDoesNot) {
  start_with_places(8);
  auto hog = join_many("127.0.0.1", 6);
  for (std::size_t i = 0; i + 1 < hog.size(); ++i) {
    hog[i]->send_line("/nick hog" + std::to_string(i));
    EXPECT_TRUE(hog[i]->read_until("*** You are now known as hog" + std::to_string(i)));
  }
  hog.back()->send_line("");
  hog.back()->send_line("/who");
  std::optional<std::string> online;
  while ((online = hog.back()->read_line()) && !online->starts_with("*** Online (")) {
  }
  ASSERT_TRUE(online.has_value()) << "/who was never answered";
  auto pair = join_many("127.0.0.2", 2);
  auto newcomer = join("127.0.0.3");
  EXPECT_TRUE(hog.back()->read_until(
      "Error: disconnected: the server is full and needs this place for another machine (this "
      "connection sent nothing)"));
  hog.pop_back();
  ASSERT_TRUE(eventually([&] { return server_->session_threads() == 8; }));
  auto refused = LineClient::from("127.0.0.4", server_->port());
  EXPECT_EQ(refused.read_line(), "Error: server full (8 clients), try again later");
}

TEST_F(AdmissionTest, WhileNearlyFullAMachineOpensOnlyAFewConnectionsASecond) {
  start_with_places(8);  // 6 taken leaves only the reserve of 2
  auto hog = join_many("127.0.0.1", 6);
  const auto began = Clock::now();
  constexpr int kAttempts = 30;
  int served = 0;
  std::optional<std::string> refusal;
  for (int attempt = 0; attempt < kAttempts && !refusal; ++attempt) {
    auto churn = LineClient::from("127.0.0.2", server_->port());
    const auto first = churn.read_line();
    if (first != "Welcome to LoChat!") {
      refusal = first;
      break;
    }
    ++served;
    churn.close();
    ASSERT_TRUE(eventually([&] { return server_->session_threads() == 6; }));
  }
  ASSERT_TRUE(refusal.has_value()) << served << " connections in a row were served";
  EXPECT_EQ(*refusal,
            "Error: server nearly full: 127.0.0.2 opens connections too fast, try again in a "
            "second");
  // A burst of 4, then one a second: never more than that many in the time taken.
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - began);
  EXPECT_LE(served, 4 + static_cast<int>(seconds.count()) + 1);
  EXPECT_GE(served, 4);
}

}  // namespace
}  // namespace lochat::test
