#include "lochat/server/commands.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
  [[nodiscard]] bool is_operator() const override { return operator_; }
  [[nodiscard]] Moderation& moderation() const override { return moderation_; }
  [[nodiscard]] std::shared_ptr<Participant> member(std::string_view /*name*/) const override {
    return nullptr;
  }
  [[nodiscard]] std::vector<std::shared_ptr<Participant>> members() const override { return {}; }
  void tell_everyone(std::string notice) override { told_everyone.push_back(std::move(notice)); }
  bool free_name(std::string_view name) override { return name == "bob"; }
  [[nodiscard]] std::optional<moderation::Ban> muted() const override { return mute; }

  bool operator_ = false;
  std::optional<moderation::Ban> mute;
  std::vector<std::string> told_everyone;
  mutable Moderation moderation_{ModerationConfig{}};

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

TEST(Commands, HelpListsEveryCommandToAnOperatorThenTheEscape) {
  FakeSession session;
  session.operator_ = true;
  dispatch(session, "help", "");
  ASSERT_EQ(session.replies.size(), all().size() + 1);
  for (std::size_t i = 0; i < all().size(); ++i) {
    EXPECT_EQ(session.replies[i], "*** " + help_line(all()[i]) + "\n");
  }
  EXPECT_EQ(session.replies.back(), "*** //text - send a message that starts with /\n");
}

TEST(Commands, HelpListsOperatorsCommandsToOperatorsOnly) {
  FakeSession session;
  dispatch(session, "help", "");
  const auto for_everyone = std::count_if(all().begin(), all().end(), [](const auto& command) {
    return command.permission == Permission::everyone;
  });
  EXPECT_EQ(session.replies.size(), static_cast<std::size_t>(for_everyone) + 1);  // then the escape
  for (const auto& command : all()) {
    const bool listed = std::find(session.replies.begin(), session.replies.end(),
                                  "*** " + help_line(command) + "\n") != session.replies.end();
    EXPECT_EQ(listed, command.permission == Permission::everyone) << command.name;
  }
}

TEST(Commands, EachOperatorsCommandIsRefusedToOthersWithOneErrorAndNoEffect) {
  for (const auto& command : all()) {
    if (command.permission != Permission::operators) continue;
    FakeSession session;
    dispatch(session, command.name, "bob 1h spam");
    EXPECT_EQ(session.replies, std::vector<std::string>{"Error: /" + std::string(command.name) +
                                                        " is for operators\n"});
    EXPECT_TRUE(session.told_everyone.empty());
    EXPECT_TRUE(session.moderation().bans().empty());
  }
}

TEST(Commands, AnyoneReadsTheTopicButOnlyAnOperatorSetsIt) {
  FakeSession session;
  dispatch(session, "topic", "");
  EXPECT_EQ(session.replies, std::vector<std::string>{"*** No topic is set\n"});
  dispatch(session, "topic", "lunch at noon");
  EXPECT_EQ(session.replies.back(), "Error: /topic is for operators\n");
  session.operator_ = true;
  dispatch(session, "topic", "lunch at noon");
  EXPECT_EQ(session.told_everyone,
            std::vector<std::string>{"*** alice set the topic: lunch at noon\n"});
  dispatch(session, "topic", "");
  EXPECT_EQ(session.replies.back(), "*** Topic: lunch at noon\n");
}

TEST(Commands, AnOperatorBansAnAddressForAWhileAndUnbansIt) {
  FakeSession session;
  session.operator_ = true;
  dispatch(session, "ban", "127.0.0.9 2h too loud");
  ASSERT_EQ(session.told_everyone.size(), 1U);
  EXPECT_TRUE(session.told_everyone[0].starts_with("*** alice banned 127.0.0.9 until "));
  EXPECT_TRUE(session.told_everyone[0].ends_with(" (too loud)\n"));
  const auto bans = session.moderation().bans();
  ASSERT_EQ(bans.size(), 1U);
  EXPECT_EQ(bans[0].reason, "too loud");
  EXPECT_GT(*bans[0].until, moderation::Clock::now() + std::chrono::minutes(119));
  dispatch(session, "unban", "127.0.0.9");
  EXPECT_EQ(session.told_everyone.back(), "*** alice unbanned 127.0.0.9\n");
  dispatch(session, "unban", "127.0.0.9");
  EXPECT_EQ(session.replies.back(), "Error: 127.0.0.9 is not banned\n");
}

TEST(Commands, ABanOfSomethingThatIsNeitherOnlineNorAnAddressNorAKeyIsRefused) {
  FakeSession session;
  session.operator_ = true;
  dispatch(session, "ban", "nobody");
  EXPECT_EQ(
      session.replies,
      std::vector<std::string>{
          "Error: nobody called nobody is online, and it is no address or key fingerprint\n"});
  EXPECT_TRUE(session.moderation().bans().empty());
}

TEST(Commands, AMutedClientsMessagesAndActionsAreRefused) {
  FakeSession session;
  session.mute = moderation::Ban{"127.0.0.1", std::nullopt, "carol", ""};
  dispatch(session, "me", "waves");
  dispatch(session, "msg", "bob hi");
  EXPECT_EQ(session.replies,
            std::vector<std::string>(2, "Error: you are muted: your lines are not sent\n"));
  EXPECT_TRUE(session.published.empty());
  EXPECT_TRUE(session.privates.empty());
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
