#include "lochat/wire/server_line.hpp"

#include <gtest/gtest.h>

#include <string>

#include "lochat/wire/protocol.hpp"

namespace lochat::protocol {
namespace {

using Topic = ServerLine::Topic;

// What the server builds, without its "\n", as the client receives it.
std::string received(std::string built) {
  built.pop_back();
  return built;
}

TEST(ServerLine, EveryPresenceNoticeIsReadBackWithItsName) {
  const auto joined_line = received(joined("alice", 3));
  EXPECT_EQ(classify(joined_line).topic, Topic::joined);
  EXPECT_EQ(classify(joined_line).subject, "alice");
  const auto left_line = received(left("bob", 2, "lunch: back at 2"));
  EXPECT_EQ(classify(left_line).topic, Topic::left);
  EXPECT_EQ(classify(left_line).subject, "bob");
  const auto kicked = received(disconnected("carol", "flooding", 1));
  EXPECT_EQ(classify(kicked).topic, Topic::disconnected);
  EXPECT_EQ(classify(kicked).subject, "carol");
  const auto rename_line = received(renamed("dave", "david"));
  EXPECT_EQ(classify(rename_line).topic, Topic::renamed);
  EXPECT_EQ(classify(rename_line).subject, "dave");
  EXPECT_EQ(classify(rename_line).detail, "david");
}

TEST(ServerLine, OurOwnNameAndTheRosterAreReadBack) {
  const auto mine = received(you_are_now("alice"));
  EXPECT_EQ(classify(mine).topic, Topic::you_are_now);
  EXPECT_EQ(classify(mine).subject, "alice");
  const auto roster = received(online_list({{"alice", std::chrono::seconds(5)}}));
  EXPECT_EQ(classify(roster).topic, Topic::online);
  EXPECT_EQ(classify(roster).detail, "alice (5s)");
  const auto two = received(
      online_list({{"alice", std::chrono::seconds(5)}, {"bob", std::chrono::seconds(7500)}}));
  EXPECT_EQ(names_in_online_list(classify(two).detail),
            (std::vector<std::string_view>{"alice", "bob"}));
}

TEST(ServerLine, ErrorsAboutNamesAreReadBackWithTheName) {
  const auto taken = received(name_taken("bob"));
  EXPECT_EQ(classify(taken).kind, ServerLine::Kind::error);
  EXPECT_EQ(classify(taken).topic, Topic::name_taken);
  EXPECT_EQ(classify(taken).subject, "bob");
  const auto invalid = received(invalid_name("b!ob", "only letters, digits and _-."));
  EXPECT_EQ(classify(invalid).topic, Topic::invalid_name);
  EXPECT_EQ(classify(invalid).subject, "b!ob");
  EXPECT_EQ(classify(received(nobody_called("zed"))).subject, "zed");
}

TEST(ServerLine, VerifiedNamesAreReadBackAndTheirMarkHidesFromClientsThatSplitTheList) {
  const auto two = received(online_list(
      {{"alice", std::chrono::seconds(5), true}, {"bob", std::chrono::seconds(7500), false}}));
  EXPECT_EQ(two, "*** Online (2): alice (5s; verified), bob (2h 5m)");
  const auto entries = entries_in_online_list(classify(two).detail);
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].name, "alice");
  EXPECT_TRUE(entries[0].verified);
  EXPECT_EQ(entries[1].name, "bob");
  EXPECT_FALSE(entries[1].verified);
  const auto owned_line = received(name_owned("bob"));  // classify() views into it
  const auto owned = classify(owned_line);
  EXPECT_EQ(owned.topic, Topic::name_owned);
  EXPECT_EQ(owned.subject, "bob");
  EXPECT_EQ(classify(received(verified("bob"))).topic, Topic::verified);
  EXPECT_EQ(classify(received(verified("bob"))).subject, "bob");
  EXPECT_EQ(classify(received(no_longer_verified("bob"))).topic, Topic::unverified);
  auto description = ServerDescription{kProtocolVersion, true, 10, 30, 4096, 4445, true};
  EXPECT_TRUE(describe(received(self_description(description)))->owned_names);
  description.owned_names = false;
  EXPECT_FALSE(describe(received(self_description(description)))->owned_names);
}

TEST(ServerLine, OnlyErrorsThatAnswerAnAcknowledgedLineStandForItsAck) {
  EXPECT_TRUE(answers_instead_of_ack(classify(received(line_too_long(4096)))));
  EXPECT_TRUE(answers_instead_of_ack(classify(received(usage("/msg NAME text")))));
  EXPECT_TRUE(answers_instead_of_ack(classify(received(usage("/me text")))));
  EXPECT_TRUE(answers_instead_of_ack(classify(received(nobody_called("zed")))));
  EXPECT_FALSE(answers_instead_of_ack(classify(received(usage("/nick NAME")))));
  EXPECT_FALSE(answers_instead_of_ack(classify(received(name_taken("bob")))));
  EXPECT_FALSE(answers_instead_of_ack(classify(received(unknown_command("x")))));
  EXPECT_FALSE(answers_instead_of_ack(classify("Error: disconnected: flooding")));
}

TEST(ServerLine, PeerTextThatLooksLikeANoticeStaysPeerText) {
  const auto wire = received(relay("mallory", "*** alice left (1 online)"));
  const auto relayed = classify(wire);
  EXPECT_EQ(relayed.kind, ServerLine::Kind::relay);
  EXPECT_EQ(relayed.topic, Topic::none);
  EXPECT_EQ(relayed.sender, "mallory");
}

TEST(ServerLine, AReplayedLineIsClassifiedAsTheLineInside) {
  const auto wire = received(history("09:15", relay("bob", "old news")));
  const auto replayed = classify(wire);
  EXPECT_TRUE(replayed.replayed);
  EXPECT_EQ(replayed.clock_time, "09:15");
  EXPECT_EQ(replayed.kind, ServerLine::Kind::relay);
  EXPECT_EQ(replayed.text, "old news");
}

TEST(ServerLine, ANoticeOfNoKnownTopicIsStillANotice) {
  const auto wire = received(shutting_down());
  const auto shutdown = classify(wire);
  EXPECT_EQ(shutdown.kind, ServerLine::Kind::notice);
  EXPECT_EQ(shutdown.topic, Topic::none);
  EXPECT_EQ(shutdown.text, kShutdownNotice);
}

TEST(ServerLine, TheSelfDescriptionIsReadBackWithTheServersLimits) {
  const auto wire = received(self_description({kProtocolVersion, true, 10, 30, 4096}));
  EXPECT_EQ(
      wire,
      "*** lochat-server protocol 1; acknowledges each line; commands /nick /who /msg /me "
      "/help /quit /pass /release /topic /motd /kick /ban /unban /bans /mute /unmute /free; flood "
      "limit 30 lines at once, then 10 a second; lines up to 4096 "
      "bytes");
  EXPECT_EQ(classify(wire).kind, ServerLine::Kind::notice);
  EXPECT_EQ(classify(wire).topic, Topic::about_server);
  const auto described = describe(wire);
  ASSERT_TRUE(described);
  EXPECT_EQ(described->version, kProtocolVersion);
  EXPECT_TRUE(described->acknowledges);
  EXPECT_EQ(described->burst, 30U);
  EXPECT_DOUBLE_EQ(described->rate, 10.0);
  EXPECT_EQ(described->max_line, 4096U);
}

TEST(ServerLine, AServerWithAPasswordSaysSoInItsSelfDescriptionWithItsTlsPort) {
  const auto wire = received(self_description({kProtocolVersion, true, 10, 30, 4096, 4445}));
  EXPECT_TRUE(wire.ends_with("; password needed (send /pass PASSWORD over TLS, port 4445)"));
  const auto described = describe(wire);
  ASSERT_TRUE(described);
  EXPECT_EQ(described->password_port, 4445);
  EXPECT_EQ(described->max_line, 4096U);
  const auto without = describe(received(self_description({kProtocolVersion, true, 10, 30, 4096})));
  ASSERT_TRUE(without);
  EXPECT_EQ(without->password_port, 0);
  EXPECT_FALSE(
      describe("*** lochat-server protocol 1; password needed (send /pass PASSWORD over "
               "TLS, port 0)"))
      << "a password field without a port is unreadable";
}

TEST(ServerLine, AFractionalRateAndNoFloodLimitAreReadBack) {
  const auto slow = describe(received(self_description({kProtocolVersion, true, 0.5, 3, 512})));
  ASSERT_TRUE(slow);
  EXPECT_DOUBLE_EQ(slow->rate, 0.5);
  EXPECT_EQ(slow->burst, 3U);
  EXPECT_EQ(slow->max_line, 512U);
  const auto unlimited =
      describe(received(self_description({kProtocolVersion, true, 0, 30, 4096})));
  ASSERT_TRUE(unlimited);
  EXPECT_EQ(unlimited->rate, 0.0);
}

TEST(ServerLine, OnlyTheServerCanDescribeItself) {
  // A peer's text, a history line and a garbled notice are no self-description.
  const auto wire = received(self_description({kProtocolVersion, true, 10, 30, 4096}));
  EXPECT_FALSE(describe(received(relay("mallory", wire))));
  EXPECT_FALSE(describe(received(history("09:15", wire))));
  EXPECT_FALSE(describe("*** lochat-server protocol 1; flood limit lots"));
  EXPECT_FALSE(describe("*** lochat-server protocol x"));
  EXPECT_FALSE(
      describe("*** lochat-server protocol 1; flood limit 30 lines at once, then nan a second"));
  EXPECT_FALSE(
      describe("*** lochat-server protocol 1; flood limit 30 lines at once, then inf a second"));
  // A field a later server adds is skipped.
  const auto later =
      describe("*** lochat-server protocol 2; emoji reactions; lines up to 99 bytes");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->version, 2);
  EXPECT_FALSE(later->acknowledges);
  EXPECT_EQ(later->max_line, 99U);
}

// `line` is a peer's chat line: `sender` said `text`.
void expect_peer_line(std::string_view line, std::string_view sender, std::string_view text) {
  const auto peer = classify(line);
  EXPECT_EQ(peer.kind, ServerLine::Kind::relay) << line;
  EXPECT_EQ(peer.sender, sender);
  EXPECT_EQ(peer.text, text);
}

TEST(ServerLine, NcatChatLinesAreReadAsPeersAndAnnouncements) {
  expect_peer_line("<user5> hello there", "user5", "hello there");
  const auto announce = classify("<announce> 127.0.0.1 is connected as <user6>.");
  EXPECT_EQ(announce.kind, ServerLine::Kind::notice);
  EXPECT_EQ(announce.text, "127.0.0.1 is connected as <user6>.");
  EXPECT_EQ(classify("<not a name> hi").kind, ServerLine::Kind::other);
}

TEST(ServerLine, TheOriginalServersRelayIsAPeerLineAndEmptyLinesShowNothing) {
  expect_peer_line("From 127.0.0.1: hi", "127.0.0.1", "hi");
  EXPECT_TRUE(shows_nothing(""));
  EXPECT_TRUE(shows_nothing(" \t "));
  EXPECT_FALSE(shows_nothing(" x"));
}

}  // namespace
}  // namespace lochat::protocol
