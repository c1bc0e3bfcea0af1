// The real `lochat` against chat servers that are not lochat-server: an
// `ncat --chat` relay and the original LoChat server (fake_chat_servers.hpp),
// in a pty and with pipes; and lochat-server's published flood limit, which
// the client paces a long paste by.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <regex>
#include <string>

#include "fake_chat_servers.hpp"
#include "pty_client.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

using Kind = FakeChatServer::Kind;

// The pty output with escape sequences and carriage returns taken out.
std::string plain_text(const std::string& output) {
  static const std::regex escapes(R"(\x1b\[[0-9;?]*[A-Za-z]|\r)");
  return std::regex_replace(output, escapes, "");
}

// A line that holds nothing but a time stamp ("12:34 "): an empty server line shown.
bool has_empty_stamped_line(const std::string& output) {
  static const std::regex stamp_only(R"((^|\n)(> )?\d\d:\d\d *(\n|$))");
  return std::regex_search(plain_text(output), stamp_only);
}

// A peer of the fake server, like the original client: reads whatever comes.
struct Peer {
  explicit Peer(std::uint16_t port) : socket(connect_tcp("127.0.0.1", port)) {}

  // Reads until the bytes received from byte `from` on hold `needle`; false
  // at the deadline or end of stream.
  bool hears(std::string_view needle, std::size_t from = 0) {
    const auto deadline = Clock::now() + kPatience;
    while (heard.find(needle, from) == std::string::npos) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd watched{socket.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&watched, 1, static_cast<int>(left.count())) != 1) {
        return false;
      }
      std::array<char, 1024> buffer{};
      const auto result = receive_some(socket, buffer);
      if (result.status == ReadResult::Status::closed) return false;
      heard.append(buffer.data(), result.bytes);
    }
    return true;
  }

  void say(std::string_view bytes) const {
    ASSERT_TRUE(send_all(socket, bytes, Clock::now() + kPatience));
  }

  FileDescriptor socket;
  std::string heard;
};

TEST(ForeignServer, AgainstNcatChatOwnLinesShowAtOnceAndNoCommandLeaks) {
  FakeChatServer ncat(Kind::ncat_chat);
  Peer peer(ncat.port());                            // <user0>
  PtyClient lochat(ncat.port(), {"--name", "bob"});  // <user1>
  ASSERT_TRUE(peer.hears("is connected as <user1>"));
  lochat.type("hello\r");
  EXPECT_TRUE(lochat.shows("bob: hello (unconfirmed)")) << lochat.output();
  ASSERT_TRUE(peer.hears("<user1> hello\n"));
  peer.say("hi bob\n");
  EXPECT_TRUE(lochat.shows("user0: hi bob")) << lochat.output();
  // Every line is text to it: a pasted "/..." and a typed "//..." go out as
  // "/..." and show as the text they were sent as.
  lochat.type("\x1b[200~/usr/bin/env python3\r\x1b[201~");
  ASSERT_TRUE(peer.hears("<user1> /usr/bin/env python3\n")) << peer.heard;
  EXPECT_TRUE(lochat.shows("bob: /usr/bin/env python3 (unconfirmed)")) << lochat.output();
  lochat.type("//typed slash\r");
  ASSERT_TRUE(peer.hears("<user1> /typed slash\n")) << peer.heard;
  EXPECT_TRUE(lochat.shows("bob: /typed slash (unconfirmed)")) << lochat.output();
  lochat.type(":q\r");
  EXPECT_EQ(lochat.wait_exit(), 0) << lochat.output();
  EXPECT_EQ(ncat.heard().find("/nick"), std::string::npos) << "the /nick leaked as a chat line";
  EXPECT_EQ(lochat.output().find("not confirmed"), std::string::npos) << lochat.output();
  EXPECT_TRUE(lochat.terminal_restored());
}

TEST(ForeignServer, AgainstTheOriginalServerLinesShowPromptlyAndNoneIsEmpty) {
  FakeChatServer original(Kind::original);
  Peer peer(original.port());
  ASSERT_TRUE(peer.hears("Welcome to LoChat!"));
  PtyClient lochat(original.port(), {"--name", "bob"});
  ASSERT_TRUE(lochat.shows("Welcome to LoChat!")) << lochat.output();
  lochat.type("hello\r");
  EXPECT_TRUE(lochat.shows("bob: hello (unconfirmed)")) << lochat.output();
  ASSERT_TRUE(peer.hears("\nFrom 127.0.0.1: hello\n"));
  // As the original client sends: no newline, and nothing after it.
  const auto before = lochat.output().size();
  peer.say("yo");
  EXPECT_TRUE(lochat.shows("127.0.0.1: yo", before)) << lochat.output();
  lochat.type(":q\r");
  EXPECT_EQ(lochat.wait_exit(), 0) << lochat.output();
  EXPECT_EQ(original.heard().find("/nick"), std::string::npos) << "the /nick leaked as a chat line";
  EXPECT_EQ(lochat.output().find("not confirmed"), std::string::npos) << lochat.output();
  EXPECT_EQ(lochat.output().find("Message Received"), std::string::npos) << lochat.output();
  EXPECT_FALSE(has_empty_stamped_line(lochat.output())) << lochat.output();
}

TEST(ForeignServer, PipedLinesToTheOriginalServerEndWithoutFalseWarnings) {
  FakeChatServer original(Kind::original);
  ChildProcess lochat({client_binary(), "--host", "127.0.0.1", "--port",
                       std::to_string(original.port()), "--name", "piper"});
  lochat.write_stdin("one\ntwo\n");
  lochat.close_stdin();
  EXPECT_EQ(lochat.wait_exit(), 0);
  EXPECT_EQ(original.heard(), "one\ntwo\n");
  while (const auto line = lochat.read_stdout_line()) {
    EXPECT_NE(line->find_first_not_of(' '), std::string::npos) << "an empty line was printed";
  }
  // Only the warning every server in clear gets, nothing about the lines.
  while (const auto said = lochat.read_stderr_line(std::chrono::milliseconds(100))) {
    EXPECT_NE(said->find("speaks in clear: this chat is not encrypted"), std::string::npos)
        << *said;
  }
}

// The name in the first "is connected as <userN>." at or after `from`.
std::string user_named_after(const std::string& heard, std::size_t from) {
  static const std::regex connected(R"(is connected as <(user\d+)>\.)");
  std::smatch match;
  const std::string rest = heard.substr(std::min(from, heard.size()));
  return std::regex_search(rest, match, connected) ? match[1].str() : std::string();
}

// The real `ncat --chat`, where it is installed, on a port the kernel chose.
TEST(ForeignServer, AgainstARealNcatChatOwnLinesShowAndNoCommandLeaks) {
  if (::access("/usr/bin/ncat", X_OK) != 0) GTEST_SKIP() << "ncat is not installed";
  const auto port = [] {
    const auto probe = listen_tcp("127.0.0.1", 0, 1);
    return local_port(probe);
  }();
  ChildProcess ncat({"/usr/bin/ncat", "--chat", "-l", "127.0.0.1", std::to_string(port)});
  std::optional<Peer> peer;
  ASSERT_TRUE(eventually([&] {
    try {
      peer.emplace(port);
      return true;
    } catch (const NetError&) {
      return false;
    }
  }));
  // ncat names each connection after its descriptor: read the names it gives.
  ASSERT_TRUE(peer->hears("already connected"));
  const auto peer_name = user_named_after(peer->heard, 0);
  const auto before_lochat = peer->heard.size();
  PtyClient lochat(port, {"--name", "bob"});
  ASSERT_TRUE(peer->hears(">.\n", before_lochat));
  const auto lochat_name = user_named_after(peer->heard, before_lochat);
  lochat.type("hello\r");
  EXPECT_TRUE(lochat.shows("bob: hello (unconfirmed)")) << lochat.output();
  ASSERT_TRUE(peer->hears("<" + lochat_name + "> hello\n")) << peer->heard;
  peer->say("hi bob\n");
  EXPECT_TRUE(lochat.shows(peer_name + ": hi bob")) << lochat.output();
  lochat.type(":q\r");
  EXPECT_EQ(lochat.wait_exit(), 0) << lochat.output();
  EXPECT_EQ(peer->heard.find("/nick"), std::string::npos) << peer->heard;
  EXPECT_EQ(lochat.output().find("not confirmed"), std::string::npos) << lochat.output();
}

TEST(PacedPaste, LongerThanTheFloodLimitAllArrivesAndTheSenderIsNotCutOff) {
  // Fewer lines may wait than the paste holds: a client that does not pace
  // its sends is disconnected. The rate is high only to keep the test short;
  // lochat learns it from the server's self-description.
  ServerProcess server({"--rate", "100", "--burst", "30", "--flood-lines", "50"});
  LineClient listener(server.port());
  ASSERT_TRUE(listener.read_until("Welcome to LoChat!"));
  ChildProcess lochat({client_binary(), "--host", "127.0.0.1", "--port",
                       std::to_string(server.port()), "--name", "paster"});
  constexpr int kLines = 300;
  std::string paste;
  for (int line = 1; line <= kLines; ++line) paste += std::to_string(line) + "\n";
  lochat.write_stdin(paste);
  lochat.close_stdin();
  EXPECT_TRUE(lochat.stderr_contains("sending 300 lines, about 3 s"));
  for (int line = 1; line <= kLines; ++line) {
    const auto relayed = listener.read_chat_line();
    ASSERT_EQ(relayed, "From paster: " + std::to_string(line));
  }
  EXPECT_EQ(lochat.wait_exit(), 0);
}

TEST(PacedPaste, QuittingRightAfterAPasteInATerminalSendsItAllFirst) {
  ServerProcess server({"--rate", "100", "--burst", "30", "--flood-lines", "50"});
  LineClient listener(server.port());
  ASSERT_TRUE(listener.read_until("Welcome to LoChat!"));
  PtyClient lochat(server.port(), {"--name", "paster"});
  ASSERT_TRUE(lochat.shows("You are now known as paster")) << lochat.output();
  constexpr int kLines = 150;
  std::string keys;
  for (int line = 1; line <= kLines; ++line) keys += "pasted " + std::to_string(line) + "\r";
  lochat.type(keys + ":q\r");
  EXPECT_TRUE(lochat.shows("sending 150 lines, about 2 s")) << lochat.output();
  for (int line = 1; line <= kLines; ++line) {
    ASSERT_EQ(listener.read_chat_line(), "From paster: pasted " + std::to_string(line));
  }
  EXPECT_EQ(lochat.wait_exit(), 0) << lochat.output();
  EXPECT_EQ(lochat.output().find("not sent"), std::string::npos) << lochat.output();
  EXPECT_EQ(lochat.output().find("not confirmed"), std::string::npos) << lochat.output();
}

TEST(FloodWarning, AnNcClientIsToldToSlowDownBeforeItIsDisconnected) {
  ServerProcess server;  // the default limits nc users have always had
  LineClient nc(server.port());
  ASSERT_TRUE(nc.read_until("Welcome to LoChat!"));
  std::string paste;
  for (int line = 1; line <= 300; ++line) paste += "line " + std::to_string(line) + "\n";
  nc.send_raw(paste);
  bool warned = false;
  while (const auto line = nc.read_line()) {
    if (line->starts_with("*** Slow down: ")) {
      warned = true;
      EXPECT_NE(line->find("30 lines at once, then 10 a second"), std::string::npos) << *line;
    }
    if (line->starts_with("Error: disconnected: flooding")) break;
  }
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace lochat::test
