#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "lochat/wire/commands.hpp"
#include "lochat/wire/protocol.hpp"

namespace lochat::commands {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(CommandsTable, FindsEachCommandByItsNameWithoutTheSlash) {
  for (const auto& command : all()) {
    ASSERT_NE(find(command.name), nullptr);
    EXPECT_EQ(find(command.name)->usage, command.usage);
    EXPECT_TRUE(command.usage.starts_with("/" + std::string(command.name))) << command.usage;
  }
  EXPECT_EQ(find("/nick"), nullptr);
  EXPECT_EQ(find("dance"), nullptr);
}

TEST(CommandsTable, OnlyMsgAndMeAreAcknowledged) {
  for (const auto& command : all()) {
    EXPECT_EQ(command.acknowledged, command.name == "msg" || command.name == "me") << command.name;
  }
}

TEST(CommandsTable, AClientExpectsAnAckForWhatTheServerAcknowledgesOnceItHasCleanedTheLine) {
  EXPECT_TRUE(expects_ack("hello"));
  EXPECT_TRUE(expects_ack("//not a command"));
  EXPECT_TRUE(expects_ack("/me waves"));
  EXPECT_TRUE(expects_ack("/msg bob hi"));
  EXPECT_FALSE(expects_ack("/nick bob"));
  EXPECT_FALSE(expects_ack("   "));
  EXPECT_FALSE(expects_ack("\x0c\x1b")) << "only control characters: empty once cleaned";
  EXPECT_FALSE(expects_ack("\x01/quit")) << "the server sees /quit";
}

// A pasted line goes out as text: the server reads each back as that text.
TEST(CommandsTable, TextIsSentAsTextEvenWhenItStartsWithASlash) {
  for (const std::string text : {"/quit bye", "/usr/bin/env python3", "//x", "plain", ":q"}) {
    const std::string sent = as_text(text);
    const auto parsed = protocol::parse_client_line(sent);
    EXPECT_EQ(parsed.kind, protocol::ClientLine::Kind::chat) << text;
    EXPECT_EQ(parsed.text, text);
  }
}

TEST(CommandsTable, AHelpLineIsTheUsageThenWhatItDoes) {
  EXPECT_EQ(help_line(*find("msg")), "/msg NAME text - a private message to NAME only");
}

TEST(CommandsTable, ProtocolDocumentListsEveryCommandWithItsUsage) {
  const std::string protocol = read_file(std::string(LOCHAT_SOURCE_DIR) + "/docs/PROTOCOL.md");
  ASSERT_FALSE(protocol.empty());
  for (const auto& command : all()) {
    EXPECT_NE(protocol.find("| `" + std::string(command.usage) + "` |"), std::string::npos)
        << "docs/PROTOCOL.md has no row for " << command.usage;
  }
}

}  // namespace
}  // namespace lochat::commands
