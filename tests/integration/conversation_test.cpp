#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "server_fixture.hpp"

namespace lochat::test {
namespace {

class ConversationTest : public ServerFixture {};

TEST_F(ConversationTest, NickNamesTheSenderInRelays) {
  start();
  auto bob = join_as("bob");
  auto alice = join_as("alice");
  EXPECT_TRUE(bob->read_until("*** alice joined (2 online)"));
  alice->send_line("hi");
  EXPECT_EQ(alice->read_line(), "Message Received");
  EXPECT_EQ(bob->read_chat_line(), "From alice: hi");
}

TEST_F(ConversationTest, InvalidNameIsRefusedAndTheOldNameStays) {
  start();
  auto bob = join_as("bob");
  auto alice = join_as("alice");
  alice->send_line("/nick bad:name");
  EXPECT_EQ(
      alice->read_line(),
      "Error: invalid name 'bad:name': a name may only hold letters, digits, '_', '-' and '.'");
  alice->send_line("/nick " + std::string(33, 'a'));
  EXPECT_EQ(alice->read_line(), "Error: invalid name '" + std::string(33, 'a') +
                                    "': a name may be at most 32 characters long");
  alice->send_line("still me");
  EXPECT_EQ(bob->read_chat_line(), "From alice: still me");
}

TEST_F(ConversationTest, TakenNameIsRefusedCaseInsensitively) {
  start();
  auto alice = join_as("alice");
  auto other = join();
  other->send_line("/nick ALICE");
  EXPECT_EQ(other->read_line(), "Error: the name ALICE is already taken");
  other->send_line("/nick Zoë");
  EXPECT_EQ(other->read_line(), "*** You are now known as Zoë");
  auto third = join();
  third->send_line("/nick ZOË");
  EXPECT_EQ(third->read_line(), "Error: the name ZOË is already taken");
}

// The impostors of the hardening issue: each showed as "alice", in alice's
// colour, next to the real one.
TEST_F(ConversationTest, LookAlikeAndInvisibleImpostorsCannotTakeAName) {
  start();
  auto alice = join_as("alice");
  auto impostor = join();
  // The last two, a capital I for an l and a small capital A, an adversarial run took.
  for (const std::string look_alike : {"\U0001D41Alice", "al\u0131ce", "aIice", "\u1D00lice"}) {
    impostor->send_line("/nick " + look_alike);
    EXPECT_EQ(impostor->read_line(), "Error: the name " + look_alike + " is already taken");
  }
  impostor->send_line("/nick \u0430lice");  // a Cyrillic a among Latin letters
  EXPECT_EQ(impostor->read_line(),
            "Error: invalid name '\u0430lice': a name may not mix letters or marks of "
            "different scripts");
  impostor->send_line("/nick alice\u1160\u1160\u1160\u1160");
  EXPECT_EQ(impostor->read_line(),
            "Error: invalid name 'alice\u1160\u1160\u1160\u1160': a name "
            "may not hold invisible characters");
  impostor->send_line("/nick bob\u02D0");
  EXPECT_EQ(impostor->read_line(),
            "Error: invalid name 'bob\u02D0': a name may not hold letters that look like "
            "punctuation");
  // A decomposed name is kept composed, and is the same name as its composed form.
  impostor->send_line("/nick Zoe\u0308");
  EXPECT_EQ(impostor->read_line(), "*** You are now known as Zo\u00EB");
  // Lithuanian ė is a letter of its own: "alicė" is another name.
  impostor->send_line("/nick alic\u0117");
  EXPECT_EQ(impostor->read_line(), "*** You are now known as alic\u0117");
}

TEST_F(ConversationTest, ConcurrentClaimsForOneNameHaveExactlyOneWinner) {
  constexpr std::size_t kRacers = 12;
  start();
  std::vector<std::unique_ptr<LineClient>> racers;
  for (std::size_t i = 0; i < kRacers; ++i) racers.push_back(join());
  std::atomic<int> winners{0};
  std::atomic<int> losers{0};
  std::vector<std::thread> threads;
  for (auto& racer : racers) {
    threads.emplace_back([&, client = racer.get()] {
      client->send_line("/nick highlander");
      // Presence notices about the winner may come first; skip to our own answer.
      while (const auto reply = client->read_line()) {
        if (reply == "*** You are now known as highlander") {
          ++winners;
          return;
        }
        if (reply == "Error: the name highlander is already taken") {
          ++losers;
          return;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(losers.load(), static_cast<int>(kRacers) - 1);
}

TEST_F(ConversationTest, RenameIsAnnouncedToOthers) {
  start();
  auto bob = join_as("bob");
  auto alice = join_as("alice");
  ASSERT_TRUE(bob->read_until("*** alice joined (2 online)"));
  alice->send_line("/nick alicia");
  EXPECT_EQ(alice->read_line(), "*** You are now known as alicia");
  EXPECT_EQ(bob->read_line(), "*** alice is now known as alicia");
}

TEST_F(ConversationTest, LeavingIsAnnouncedWithTheReason) {
  start();
  auto bob = join_as("bob");
  auto alice = join_as("alice");
  auto carol = join_as("carol");
  ASSERT_TRUE(bob->read_until("*** carol joined (3 online)"));
  alice->send_line("/quit lunch time");
  EXPECT_TRUE(bob->read_until("*** alice left (2 online): lunch time"));
  carol->close();
  EXPECT_TRUE(bob->read_until("*** carol left (1 online)"));
}

// Above --presence-limit joins and departures pass silently; at or below, they are told.
TEST_F(ConversationTest, PresenceNoticesStopAboveThePresenceLimit) {
  ServerConfig config;
  config.room.presence_limit = 2;
  start(config);
  auto bob = join_as("bob");
  auto alice = join_as("alice");
  ASSERT_TRUE(bob->read_until("*** alice joined (2 online)"));
  auto carol = join_as("carol");  // the third: over the limit
  carol->send_line("hello");
  EXPECT_EQ(bob->read_line(), "From carol: hello") << "no join notice for carol";
  carol->send_line("/quit");
  EXPECT_EQ(bob->read_line(), "*** carol left (2 online)") << "back within the limit";
}

TEST_F(ConversationTest, NewcomerLearnsWhoIsOnline) {
  start();
  auto alice = join_as("alice");
  LineClient newcomer(server_->port());
  EXPECT_EQ(newcomer.read_line(), "Welcome to LoChat!");
  EXPECT_TRUE(newcomer.read_line().value_or("").starts_with("*** lochat-server protocol "));
  const auto online = newcomer.read_line();
  ASSERT_TRUE(online);
  const std::regex expected(R"(\*\*\* Online \(2\): alice \(\d+s\), 127\.0\.0\.1:\d+ \(0s\))");
  EXPECT_TRUE(std::regex_match(*online, expected)) << *online;
}

// A client learns the name it was given from the list's last entry: past the
// hundred names listed, the newcomer must still be that entry.
TEST_F(ConversationTest, ANewcomerToACrowdOfMoreThanAHundredIsStillListedLast) {
  constexpr std::size_t kCrowd = 101;
  start();
  std::vector<std::unique_ptr<LineClient>> crowd;
  for (std::size_t i = 0; i < kCrowd; ++i) crowd.push_back(join());
  ASSERT_TRUE(eventually([&] { return server_->online() == kCrowd; }));
  LineClient newcomer(server_->port());
  EXPECT_EQ(newcomer.read_line(), "Welcome to LoChat!");
  EXPECT_TRUE(newcomer.read_line().value_or("").starts_with("*** lochat-server protocol "));
  const auto online = newcomer.read_line().value_or("");
  const auto own = "127.0.0.1:" + std::to_string(newcomer.local_endpoint().port);
  EXPECT_TRUE(online.starts_with("*** Online (102): ")) << online;
  EXPECT_TRUE(online.ends_with(", " + own + " (0s) and 2 more")) << online;
  EXPECT_EQ(std::count(online.begin(), online.end(), '('), 101) << "100 listed, and the count";
}

TEST_F(ConversationTest, WhoListsEveryNameWithTimeConnected) {
  start();
  auto alice = join_as("alice");
  auto bob = join_as("bob");
  bob->send_line("/who");
  const auto reply = bob->read_line();
  ASSERT_TRUE(reply);
  const std::regex expected(R"(\*\*\* Online \(2\): alice \(\d+s\), bob \(\d+s\))");
  EXPECT_TRUE(std::regex_match(*reply, expected)) << *reply;
}

TEST_F(ConversationTest, PrivateMessageReachesExactlyOneClient) {
  start();
  auto alice = join_as("alice");
  auto bob = join_as("bob");
  auto carol = join_as("carol");
  alice->send_line("/msg BOB psst, lunch?");
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
  EXPECT_EQ(bob->read_chat_line(), "Private from alice: psst, lunch?");
  // Carol's next message line is a later public one: the private one never came.
  alice->send_line("public again");
  EXPECT_EQ(carol->read_chat_line(), "From alice: public again");
  alice->send_line("/msg nobody hello?");
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
  EXPECT_EQ(alice->read_chat_line(), "Error: nobody called nobody is online");
  alice->send_line("/msg bob");
  EXPECT_EQ(alice->read_chat_line(), "Error: usage: /msg NAME text");
}

// Lines that arrive in one read go out together, but never out of order,
// whatever mix of public, private and command lines they are.
TEST_F(ConversationTest, LinesSentTogetherArriveInTheOrderTheyWereSent) {
  start();
  auto bob = join_as("bob");
  auto alice = join_as("alice");
  ASSERT_TRUE(bob->read_until("*** alice joined (2 online)"));
  alice->send_raw("one\n/msg bob two\nthree\n/me four\n/nick alicia\nfive\n");
  EXPECT_EQ(bob->read_line(), "From alice: one");
  EXPECT_EQ(bob->read_line(), "Private from alice: two");
  EXPECT_EQ(bob->read_line(), "From alice: three");
  EXPECT_EQ(bob->read_line(), "* alice four");
  EXPECT_EQ(bob->read_line(), "*** alice is now known as alicia");
  EXPECT_EQ(bob->read_line(), "From alicia: five");
}

TEST_F(ConversationTest, ActionIsShownWithAStar) {
  start();
  auto alice = join_as("alice");
  auto bob = join_as("bob");
  alice->send_line("/me waves");
  EXPECT_EQ(alice->read_chat_line(), "Message Received");
  EXPECT_EQ(bob->read_chat_line(), "* alice waves");
  alice->send_line("/me");
  EXPECT_EQ(alice->read_chat_line(), "Error: usage: /me text");
}

TEST_F(ConversationTest, HelpListsEveryCommand) {
  start();
  auto alice = join_as("alice");
  alice->send_line("/help");
  std::string all;
  for (int i = 0; i < 11; ++i) all += alice->read_line().value_or("") + "\n";
  for (const char* command : {"/nick", "/who", "/msg", "/me", "/help", "/quit", "/pass", "/release",
                              "/topic", "/motd", "//"}) {
    EXPECT_NE(all.find(std::string("*** ") + command), std::string::npos) << command;
  }
  EXPECT_EQ(all.find("*** /kick"), std::string::npos);  // an operator's, and alice is none
}

TEST_F(ConversationTest, HistoryReplaysTheLastMessagesMarkedAndInOrder) {
  ServerConfig config;
  config.room.history_lines = 3;
  start(config);
  auto alice = join_as("alice");
  for (int i = 1; i <= 3; ++i) {
    alice->send_line("message " + std::to_string(i));
    ASSERT_EQ(alice->read_chat_line(), "Message Received");
  }
  // Lines that arrive together are relayed as one batch, but kept one by one.
  alice->send_raw("message 4\nmessage 5\n");
  ASSERT_EQ(alice->read_chat_line(), "Message Received");
  ASSERT_EQ(alice->read_chat_line(), "Message Received");
  alice->send_line("/me is done");
  ASSERT_EQ(alice->read_chat_line(), "Message Received");

  LineClient newcomer(server_->port());
  EXPECT_EQ(newcomer.read_line(), "Welcome to LoChat!");
  EXPECT_TRUE(newcomer.read_line().value_or("").starts_with("*** lochat-server protocol "));
  EXPECT_TRUE(newcomer.read_line().value_or("").starts_with("*** Online (2)"));
  const std::regex stamp(R"(History \d\d:\d\d (.*))");
  for (const char* expected :
       {"From alice: message 4", "From alice: message 5", "* alice is done"}) {
    const auto line = newcomer.read_line().value_or("");
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, stamp)) << line;
    EXPECT_EQ(match[1].str(), expected);
  }
  alice->send_line("live");
  EXPECT_EQ(newcomer.read_chat_line(), "From alice: live");
}

TEST_F(ConversationTest, HistoryZeroReplaysNothing) {
  ServerConfig config;
  config.room.history_lines = 0;
  start(config);
  auto alice = join_as("alice");
  alice->send_line("forgotten");
  ASSERT_EQ(alice->read_chat_line(), "Message Received");
  auto newcomer = join();
  alice->send_line("live");
  EXPECT_EQ(newcomer->read_chat_line(), "From alice: live");
}

TEST_F(ConversationTest, PrivateMessagesAreNotKeptInHistory) {
  start();
  auto alice = join_as("alice");
  auto bob = join_as("bob");
  alice->send_line("/msg bob secret");
  ASSERT_EQ(bob->read_chat_line(), "Private from alice: secret");
  auto newcomer = join();
  alice->send_line("live");
  EXPECT_EQ(newcomer->read_chat_line(), "From alice: live");
}

TEST_F(ConversationTest, EscapeSequencesArriveDefused) {
  start();
  auto alice = join_as("alice");
  auto bob = join_as("bob");
  alice->send_raw("\x1b[2J\x1b]0;owned\x07 hi\xff\n");
  EXPECT_EQ(bob->read_chat_line(), "From alice: [2J]0;owned hi\xEF\xBF\xBD");
}

}  // namespace
}  // namespace lochat::test
