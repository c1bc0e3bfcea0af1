#include "lochat/server/commands.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "lochat/wire/commands.hpp"
#include "lochat/wire/protocol.hpp"

namespace lochat::commands {
namespace {

// A session without a socket: it keeps what the command did.
class FakeSession final : public CommandContext {
 public:
  [[nodiscard]] const std::string& name() const override { return name_; }
  void reply(std::string line) override { replies.push_back(std::move(line)); }
  void publish(std::string line) override { published.push_back(std::move(line)); }
  void announce() override { ++announcements; }
  Rename rename(const std::string& name) override {
    if (taken.contains(name)) return Rename::taken;
    if (name == name_) return Rename::unchanged;
    name_ = name;
    return Rename::done;
  }
  Release release_name() override { return Release::not_yours; }
  bool send_private(std::string_view recipient, std::string line) override {
    if (!online_names.contains(std::string(recipient))) return false;
    privates.emplace_back(std::string(recipient), std::move(line));
    return true;
  }
  [[nodiscard]] protocol::OnlineList online() const override {
    protocol::OnlineList online{{}, online_names.size()};
    for (const auto& name : online_names) online.listed.push_back({name, std::chrono::seconds(5)});
    return online;
  }
  void quit(std::string_view reason) override {
    quit_reason = std::string(reason);
    quitting = true;
  }

  std::set<std::string> taken;
  std::set<std::string> online_names{"bob", "carol"};
  std::vector<std::string> replies;
  std::vector<std::string> published;
  std::vector<std::pair<std::string, std::string>> privates;
  int announcements = 0;
  bool quitting = false;
  std::string quit_reason;

 private:
  std::string name_ = "alice";
};

TEST(Commands, AnUnknownCommandGetsOneErrorLineAndNothingElse) {
  FakeSession session;
  dispatch(session, "dance", "now");
  EXPECT_EQ(session.replies,
            std::vector<std::string>{"Error: unknown command /dance (try /help)\n"});
  EXPECT_EQ(session.announcements, 0);
  EXPECT_TRUE(session.published.empty());
}

TEST(Commands, EveryCommandOfTheWireTableHasAHandler) {
  for (const auto& command : all()) {
    FakeSession session;
    dispatch(session, command.name, "x y");
    for (const auto& reply : session.replies) {
      EXPECT_FALSE(reply.starts_with("Error: unknown command")) << command.name;
    }
  }
}

TEST(Commands, EveryCommandButNickAnnouncesTheClientFirst) {
  for (const auto& command : all()) {
    FakeSession session;
    dispatch(session, command.name, "bob hi");
    EXPECT_EQ(session.announcements, command.name == "nick" ? 0 : 1) << command.name;
  }
}

TEST(Commands, NickTakesAValidFreeName) {
  FakeSession session;
  dispatch(session, "nick", "alicia");
  EXPECT_EQ(session.name(), "alicia");
  EXPECT_EQ(session.replies, std::vector<std::string>{"*** You are now known as alicia\n"});
}

TEST(Commands, NickRefusesAnInvalidName) {
  // The name is the whole rest of the line, so a blank inside it is refused too.
  for (const std::string name : {"bad!name", "al ice"}) {
    FakeSession session;
    dispatch(session, "nick", name);
    ASSERT_EQ(session.replies.size(), 1U);
    EXPECT_TRUE(session.replies[0].starts_with("Error: invalid name '" + name + "': "))
        << session.replies[0];
    EXPECT_EQ(session.name(), "alice");
  }
  FakeSession trailing;
  dispatch(trailing, "nick", "alicia  ");
  EXPECT_EQ(trailing.name(), "alicia") << "blanks after the name are not part of it";
}

TEST(Commands, NickRefusesATakenName) {
  FakeSession session;
  session.taken.insert("bob");
  dispatch(session, "nick", "bob");
  EXPECT_EQ(session.replies, std::vector<std::string>{"Error: the name bob is already taken\n"});
  EXPECT_EQ(session.name(), "alice");
}

TEST(Commands, WhoListsWhoIsOnline) {
  FakeSession session;
  dispatch(session, "who", "");
  EXPECT_EQ(session.replies, std::vector<std::string>{"*** Online (2): bob (5s), carol (5s)\n"});
}

TEST(Commands, MsgReachesTheOneRecipientAndIsAcknowledged) {
  FakeSession session;
  dispatch(session, "msg", "bob  lunch at noon?");
  ASSERT_EQ(session.privates.size(), 1U);
  EXPECT_EQ(session.privates[0].first, "bob");
  EXPECT_EQ(session.privates[0].second, "Private from alice: lunch at noon?\n");
  EXPECT_EQ(session.replies, std::vector<std::string>{"Message Received\n"});
  EXPECT_TRUE(session.published.empty());
}

TEST(Commands, MsgToSomeoneWhoIsNotOnlineSaysSo) {
  FakeSession session;
  dispatch(session, "msg", "dave hi");
  EXPECT_EQ(session.replies, std::vector<std::string>{"Error: nobody called dave is online\n"});
}

TEST(Commands, MsgWithoutTextIsAUsageError) {
  for (const std::string argument : {"", "bob", "bob   "}) {
    FakeSession session;
    dispatch(session, "msg", argument);
    EXPECT_EQ(session.replies, std::vector<std::string>{"Error: usage: /msg NAME text\n"})
        << argument;
    EXPECT_TRUE(session.privates.empty());
  }
}

TEST(Commands, MePublishesAnActionAndIsAcknowledged) {
  FakeSession session;
  dispatch(session, "me", "waves");
  EXPECT_EQ(session.published, std::vector<std::string>{"* alice waves\n"});
  EXPECT_EQ(session.replies, std::vector<std::string>{"Message Received\n"});
}

TEST(Commands, MeWithoutTextIsAUsageError) {
  FakeSession session;
  dispatch(session, "me", "");
  EXPECT_EQ(session.replies, std::vector<std::string>{"Error: usage: /me text\n"});
  EXPECT_TRUE(session.published.empty());
}

TEST(Commands, HelpListsEveryCommandThenTheEscape) {
  FakeSession session;
  dispatch(session, "help", "");
  ASSERT_EQ(session.replies.size(), all().size() + 1);
  for (std::size_t i = 0; i < all().size(); ++i) {
    EXPECT_EQ(session.replies[i], "*** " + help_line(all()[i]) + "\n");
  }
  EXPECT_EQ(session.replies.back(), "*** //text - send a message that starts with /\n");
}

TEST(Commands, QuitSaysGoodbyeAndLeavesWithTheReason) {
  FakeSession session;
  dispatch(session, "quit", "going home");
  EXPECT_EQ(session.replies, std::vector<std::string>{"*** Goodbye (going home)\n"});
  EXPECT_TRUE(session.quitting);
  EXPECT_EQ(session.quit_reason, "going home");
  FakeSession silent;
  dispatch(silent, "quit", "");
  EXPECT_EQ(silent.replies, std::vector<std::string>{"*** Goodbye (Bye)\n"});
}

}  // namespace
}  // namespace lochat::commands
