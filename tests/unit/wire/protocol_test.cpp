#include "lochat/wire/protocol.hpp"

#include <gtest/gtest.h>

#include "lochat/wire/server_line.hpp"

namespace lochat::protocol {
namespace {

TEST(Protocol, RelayNamesTheSender) {
  EXPECT_EQ(relay("127.0.0.1:5000", "hi there"), "From 127.0.0.1:5000: hi there\n");
}

TEST(Protocol, NoticeAndErrorHaveTheirPrefixes) {
  EXPECT_EQ(shutting_down(), "*** Server is shutting down\n");
  EXPECT_EQ(error("unknown command /x"), "Error: unknown command /x\n");
  EXPECT_EQ(welcome(), "Welcome to LoChat!\n");
}

TEST(Protocol, ChatCommandAndEmptyLinesAreTold) {
  EXPECT_EQ(parse_client_line("").kind, ClientLine::Kind::empty);
  EXPECT_EQ(parse_client_line("  \t ").kind, ClientLine::Kind::empty);
  const auto chat = parse_client_line("hello");
  EXPECT_EQ(chat.kind, ClientLine::Kind::chat);
  EXPECT_EQ(chat.text, "hello");
  const auto command = parse_client_line("/quit  going home");
  EXPECT_EQ(command.kind, ClientLine::Kind::command);
  EXPECT_EQ(command.command, "quit");
  EXPECT_EQ(command.argument, "going home");
  const auto bare = parse_client_line("/help");
  EXPECT_EQ(bare.command, "help");
  EXPECT_EQ(bare.argument, "");
}

TEST(Protocol, DoubleSlashSendsALiteralSlash) {
  const auto escaped = parse_client_line("//usr/bin is a path");
  EXPECT_EQ(escaped.kind, ClientLine::Kind::chat);
  EXPECT_EQ(escaped.text, "/usr/bin is a path");
}

TEST(Protocol, ServerLinesAreClassified) {
  EXPECT_EQ(classify("Welcome to LoChat!").kind, ServerLine::Kind::welcome);
  EXPECT_EQ(classify("Message Received").kind, ServerLine::Kind::ack);
  const auto relayed = classify("From [::1]:4000: a: b");
  EXPECT_EQ(relayed.kind, ServerLine::Kind::relay);
  EXPECT_EQ(relayed.sender, "[::1]:4000");
  EXPECT_EQ(relayed.text, "a: b");
  const auto note = classify("*** Server is shutting down");
  EXPECT_EQ(note.kind, ServerLine::Kind::notice);
  EXPECT_EQ(note.text, "Server is shutting down");
  const auto failure = classify("Error: nope");
  EXPECT_EQ(failure.kind, ServerLine::Kind::error);
  EXPECT_EQ(failure.text, "nope");
  EXPECT_EQ(classify("From nobody").kind, ServerLine::Kind::other);
}

TEST(Protocol, RelayRoundTripsThroughTheParser) {
  const std::string wire = relay("127.0.0.7:999", "x: y");
  const auto parsed = classify(std::string_view(wire).substr(0, wire.size() - 1));
  EXPECT_EQ(parsed.sender, "127.0.0.7:999");
  EXPECT_EQ(parsed.text, "x: y");
}

}  // namespace
}  // namespace lochat::protocol

namespace lochat::protocol {
namespace {

TEST(Protocol, OnlineListStaysShortWithManyOnline) {
  std::vector<OnlineEntry> many;
  for (std::size_t i = 0; i < kMaxListed + 5; ++i) {
    many.push_back({"user" + std::to_string(i), std::chrono::seconds(90)});
  }
  const std::string line = online_list(many);
  EXPECT_TRUE(line.starts_with("*** Online (105): user0 (1m), user1 (1m)")) << line;
  EXPECT_TRUE(line.ends_with(", user99 (1m) and 5 more\n")) << line;
  EXPECT_EQ(online_list({{"alice", std::chrono::seconds(7500)}}),
            "*** Online (1): alice (2h 5m)\n");
}

}  // namespace
}  // namespace lochat::protocol
