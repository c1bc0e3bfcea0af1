// The real `lochat` in a pseudo-terminal, typed at like a person at a
// keyboard, against the real lochat-server on 127.0.0.1.
#include <gtest/gtest.h>

#include <string>

#include "pty_client.hpp"

namespace lochat::test {
namespace {

TEST(TerminalPty, HalfTypedLineSurvivesAnIncomingMessage) {
  ServerProcess server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  const auto lochat_port = server.next_connected_port();
  ASSERT_TRUE(lochat_port);

  const std::size_t before_typing = lochat.output().size();
  lochat.type("hal");
  ASSERT_TRUE(lochat.shows("hal", before_typing)) << lochat.output();

  LineClient other(server.port());
  ASSERT_TRUE(other.read_until(kWelcome));
  other.send_line("ping from the other side");
  // The message is printed, then the prompt with the unfinished line is drawn again below it.
  ASSERT_TRUE(lochat.read_until([](const std::string& all) {
    const auto message = all.find("ping from the other side");
    return message != std::string::npos && all.find("> hal", message) != std::string::npos;
  })) << lochat.output();

  // The line is still being edited where it was left: finishing it sends "half".
  lochat.type("f\r");
  auto relayed = other.read_chat_line();
  if (relayed == "Message Received") relayed = other.read_chat_line();  // for its own ping
  ASSERT_TRUE(relayed);
  // Under the address of lochat's connection, or a name if the client takes one.
  const std::regex from_lochat("From (127\\.0\\.0\\.1:" + std::to_string(*lochat_port) +
                               "|[^ :]+): half");
  EXPECT_TRUE(std::regex_match(*relayed, from_lochat)) << *relayed;
  EXPECT_TRUE(lochat.read_until([](const std::string& all) {
    return some_line_has(all, {"half", kCheckMark});
  })) << lochat.output();

  lochat.type(":q\r");
  EXPECT_EQ(lochat.wait_exit(), 0) << lochat.output();
  EXPECT_TRUE(lochat.terminal_restored());
}

TEST(TerminalPty, OwnLinesAreConfirmedInOrder) {
  ServerProcess server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  lochat.type("first\rsecond\r/me waves\r");
  EXPECT_TRUE(lochat.read_until([](const std::string& all) {
    return some_line_has(all, {"first", kCheckMark}) &&
           some_line_has(all, {"second", kCheckMark}) && some_line_has(all, {"waves", kCheckMark});
  })) << lochat.output();
  EXPECT_EQ(lochat.output().find("Message Received"), std::string::npos) << lochat.output();
  lochat.type("\x04");  // Ctrl-D on an empty line
  EXPECT_EQ(lochat.wait_exit(), 0) << lochat.output();
  EXPECT_TRUE(lochat.terminal_restored());
}

TEST(TerminalPty, CtrlCQuitsAndRestoresTheTerminal) {
  ServerProcess server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  lochat.type("never sent");
  ASSERT_TRUE(lochat.shows("never sent")) << lochat.output();
  lochat.type("\x03");
  const auto exit_code = lochat.wait_exit();
  ASSERT_TRUE(exit_code) << lochat.output();
  EXPECT_TRUE(*exit_code == 0 || *exit_code == 130) << *exit_code;
  EXPECT_TRUE(lochat.terminal_restored());
}

TEST(TerminalPty, TerminationSignalRestoresTheTerminal) {
  ServerProcess server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  lochat.type("half a thought");
  ASSERT_TRUE(lochat.shows("half a thought")) << lochat.output();
  ::kill(lochat.pid(), SIGTERM);
  EXPECT_TRUE(lochat.wait_exit()) << lochat.output();
  EXPECT_TRUE(lochat.terminal_restored());
}

TEST(TerminalPty, ServerClosingIsSaidOnceWithExitCodeOneAndAHalfTypedLineStays) {
  ServerProcess server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  lochat.type("half typed");
  ASSERT_TRUE(lochat.shows("half typed")) << lochat.output();
  server.process().send_signal(SIGTERM);
  EXPECT_EQ(lochat.wait_exit(), 1) << lochat.output();
  const std::string output = lochat.output();
  EXPECT_TRUE(some_line_has(output, {"not sent: half typed"})) << output;
  std::size_t said = 0;
  for (auto at = output.find("closed the connection"); at != std::string::npos;
       at = output.find("closed the connection", at + 1)) {
    ++said;
  }
  EXPECT_EQ(said, 1U) << output;
  EXPECT_TRUE(lochat.terminal_restored());
}

TEST(TerminalPty, LinesNeverAcknowledgedAreMarkedNotConfirmed) {
  SilentServer server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(server.accept_and_greet());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  lochat.type("hello\r");
  ASSERT_TRUE(server.receive_line("hello"));
  server.hang_up();
  EXPECT_TRUE(lochat.read_until([](const std::string& all) {
    return marked_not_confirmed(all, "hello");
  })) << lochat.output();
  EXPECT_EQ(lochat.wait_exit(), 1) << lochat.output();
  EXPECT_TRUE(lochat.terminal_restored());
}

// A line sent just before :q does not vanish: left unanswered, it is shown as not confirmed.
TEST(TerminalPty, QuittingShowsLinesNeverAcknowledged) {
  SilentServer server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(server.accept_and_greet());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  lochat.type("last words\r:q\r");
  ASSERT_TRUE(server.receive_line("last words"));
  EXPECT_TRUE(server.wait_end_of_stream());
  server.hang_up();
  EXPECT_EQ(lochat.wait_exit(), 0) << lochat.output();
  EXPECT_TRUE(marked_not_confirmed(lochat.output(), "last words")) << lochat.output();
  EXPECT_TRUE(lochat.terminal_restored());
}

TEST(TerminalPty, ColourOnATerminalUnlessNoColorIsSet) {
  ServerProcess server;
  PtyClient coloured(server.port(), {"--name", "alice"}, true);
  PtyClient plain(server.port(), {"--name", "carol"});
  ASSERT_TRUE(coloured.shows("You are now known as alice")) << coloured.output();
  ASSERT_TRUE(plain.shows("You are now known as carol")) << plain.output();
  LineClient bob(server.port());
  bob.send_line("/nick bob");
  bob.send_line("hello both");
  const std::string bob_colour = "\x1b[" + std::to_string(view::name_color("bob")) + "mbob";
  EXPECT_TRUE(coloured.shows(bob_colour)) << coloured.output();
  EXPECT_TRUE(plain.shows("bob: hello both")) << plain.output();
  EXPECT_EQ(plain.output().find(bob_colour), std::string::npos);
  PtyClient flagged(server.port(), {"--name", "dave", "--no-color"}, true);
  ASSERT_TRUE(flagged.shows("You are now known as dave")) << flagged.output();
  bob.send_line("again");
  EXPECT_TRUE(flagged.shows("bob: again")) << flagged.output();
  EXPECT_EQ(flagged.output().find(bob_colour), std::string::npos);
}

TEST(TerminalPty, PeerEscapeSequencesAreDefusedAndMentionsRing) {
  ServerProcess server;
  PtyClient alice(server.port(), {"--name", "alice"});
  ASSERT_TRUE(alice.shows("You are now known as alice")) << alice.output();
  LineClient mallory(server.port());
  mallory.send_line("/nick mallory");
  // A raw client sends escape sequences; the server cleans them and so does lochat.
  mallory.send_raw("\x1b]0;pwned\x07\x1b[2Jhey alice\n");
  ASSERT_TRUE(alice.shows("mallory: ]0;pwned[2Jhey alice")) << alice.output();
  EXPECT_EQ(alice.output().find("\x1b]0;pwned"), std::string::npos);
  EXPECT_EQ(alice.output().find("\x1b[2J"), std::string::npos);
  // The bell may be written just after the line; wait for it.
  EXPECT_TRUE(alice.shows("\a")) << "a mention rings the bell";
}

TEST(TerminalPty, BellOffNeverRings) {
  ServerProcess server;
  PtyClient alice(server.port(), {"--name", "alice", "--bell", "off"});
  ASSERT_TRUE(alice.shows("You are now known as alice")) << alice.output();
  LineClient bob(server.port());
  bob.send_line("/msg alice psst alice");
  ASSERT_TRUE(alice.shows("[private] 127.0.0.1:")) << alice.output();
  // A bell for the first line would be written before the second is shown.
  bob.send_line("/msg alice second");
  ASSERT_TRUE(alice.shows("second")) << alice.output();
  EXPECT_EQ(alice.output().find('\a'), std::string::npos);
}

TEST(TerminalPty, TabCompletesNamesAndCommands) {
  ServerProcess server;
  LineClient bob(server.port());
  bob.send_line("/nick bartholomew");
  ASSERT_TRUE(bob.read_until("*** You are now known as bartholomew"));
  PtyClient alice(server.port(), {"--name", "alice"});
  ASSERT_TRUE(alice.shows("You are now known as alice")) << alice.output();
  alice.type("/ms\t");
  alice.type("bart\t");
  alice.type("hi there\r");
  EXPECT_TRUE(bob.read_until("Private from alice: hi there"));
}

TEST(TerminalPty, TakenNameFallsBackToAFreeVariantAndSaysSoLoudly) {
  ServerProcess server;
  LineClient first(server.port());
  first.send_line("/nick alice");
  ASSERT_TRUE(first.read_until("*** You are now known as alice"));
  PtyClient second(server.port(), {"--name", "alice"});
  EXPECT_TRUE(second.shows("You are now known as alice_2")) << second.output();
  // Said loudly: someone else may be using the name.
  EXPECT_TRUE(second.shows("! the name 'alice' is taken: you are 'alice_2' here"))
      << second.output();
  second.type("which one am I\r");
  EXPECT_TRUE(first.read_until("From alice_2: which one am I"));
}

TEST(TerminalPty, OwnLinesShowTheNewNameAfterNick) {
  ServerProcess server;
  LineClient other(server.port());
  ASSERT_TRUE(other.read_until(std::string(kWelcome)));
  PtyClient lochat(server.port(), {"--name", "bob"});
  ASSERT_TRUE(lochat.shows("You are now known as bob")) << lochat.output();
  lochat.type("/nick bobby\r");
  ASSERT_TRUE(lochat.shows("You are now known as bobby")) << lochat.output();
  lochat.type("as bobby now\r");
  EXPECT_TRUE(other.read_until("From bobby: as bobby now"));
  EXPECT_TRUE(lochat.shows("bobby: as bobby now")) << lochat.output();
  EXPECT_FALSE(some_line_has(lochat.output(), {"bob: as bobby now"})) << lochat.output();
}

// The hardening issue's attack: a message padded with spaces so that, wrapped
// by an 80-column terminal, a fake notice starts a row of its own. lochat
// wraps long lines itself: every further row starts with the gutter.
TEST(TerminalPty, PeerTextPaddedToTheScreenWidthCannotFakeARowOfItsOwn) {
  ServerProcess server;
  PtyClient lochat(server.port());
  ASSERT_TRUE(lochat.shows(kWelcome)) << lochat.output();
  LineClient mallory(server.port());
  ASSERT_TRUE(mallory.read_until(kWelcome));
  const std::string fake = "*** alice left (1 online)";
  const std::string prefix = "19:37 From " + mallory.local_endpoint().to_string() + ": hi";
  // Enough spaces that the fake begins the second 80-column row.
  mallory.send_line("hi" + std::string(80 - prefix.size() + 6, ' ') + "19:37 " + fake);
  ASSERT_TRUE(lochat.shows(fake)) << lochat.output();
  const auto& output = lochat.output();
  const auto at = output.rfind(fake);
  const auto row_start = output.find_last_of("\r\n", at);
  ASSERT_NE(row_start, std::string::npos);
  EXPECT_NE(output.substr(row_start, at - row_start).find("\xE2\x94\x86"), std::string::npos)
      << "the fake notice's row has no gutter: " << output.substr(row_start, at - row_start);
}

}  // namespace
}  // namespace lochat::test
