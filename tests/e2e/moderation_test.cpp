// Operators and what they do, with the real lochat-server: the operator is
// openssl s_client presenting a key the --ops-file lists; the others are
// plain line clients, each from its own 127.x address where a ban by
// address must not reach the rest.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace lochat::test {
namespace {

// A key pair as a TLS client presents it, and its fingerprint as the server logs it.
struct ClientKey {
  std::string key;
  std::string certificate;
  std::string fingerprint;
};

class ModerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_key_ = make_key("alice");
    write(ops_file(), "# operators\n" + alice_key_.fingerprint + "  # alice\n");
  }

  [[nodiscard]] std::string path(const std::string& name) const {
    return (directory_.path() / name).string();
  }
  [[nodiscard]] std::string ops_file() const { return path("ops"); }
  [[nodiscard]] std::string state() const { return path("state"); }
  static void write(const std::string& file, const std::string& text) {
    std::ofstream(file) << text;
  }

  ClientKey make_key(const std::string& name) {
    ClientKey made{path(name + "-key.pem"), path(name + "-cert.pem"), ""};
    ChildProcess openssl({kOpenssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name, "-days", "1",
                          "-keyout", made.key, "-out", made.certificate});
    EXPECT_EQ(openssl.wait_exit(), 0);
    ChildProcess fingerprint(
        {kOpenssl, "x509", "-fingerprint", "-sha256", "-noout", "-in", made.certificate});
    const auto printed = fingerprint.read_stdout_line();
    EXPECT_TRUE(printed && printed->starts_with("sha256 Fingerprint="));
    if (printed) made.fingerprint = printed->substr(19);
    return made;
  }

  std::unique_ptr<ServerProcess> server(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(),
                 {"--tls-port", "0", "--state-dir", state(), "--ops-file", ops_file()});
    return std::make_unique<ServerProcess>(extra);
  }

  // A TLS client presenting `key`, named `name` once it is welcomed.
  static std::unique_ptr<ChildProcess> keyed(const ServerProcess& server, const ClientKey& key,
                                             const std::string& name) {
    auto client = std::make_unique<ChildProcess>(
        std::vector<std::string>{kOpenssl, "s_client", "-quiet", "-connect",
                                 "127.0.0.1:" + std::to_string(server.tls_port()), "-cert",
                                 key.certificate, "-key", key.key});
    EXPECT_TRUE(client->stdout_contains("Welcome to LoChat!"));
    client->write_stdin("/nick " + name + "\n");
    EXPECT_TRUE(client->stdout_contains("*** You are now known as " + name));
    return client;
  }

  // A plain client from `source`, named `name`.
  static std::unique_ptr<LineClient> plain(const ServerProcess& server, const std::string& name,
                                           const std::string& source = "127.0.0.1") {
    auto client = std::make_unique<LineClient>(LineClient::from(source, server.port()));
    EXPECT_EQ(client->read_line(), "Welcome to LoChat!");
    client->send_line("/nick " + name);
    EXPECT_TRUE(client->read_until("*** You are now known as " + name));
    return client;
  }

  // The first line a newcomer from `source` reads.
  static std::optional<std::string> first_line_from(const ServerProcess& server,
                                                    const std::string& source) {
    auto client = LineClient::from(source, server.port());
    return client.read_line();
  }

  ScratchDirectory directory_{"lochat-moderation"};
  ClientKey alice_key_;
};

TEST_F(ModerationTest, AnOperatorKicksAMemberWhoHearsWhyWhileEveryoneHearsOnceWhoDidIt) {
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");
  auto bob = plain(*chat, "bob", "127.0.0.2");
  auto carol = plain(*chat, "carol", "127.0.0.3");
  alice->write_stdin("/kick bob spamming\n");
  EXPECT_TRUE(bob->read_until("Error: disconnected: kicked by alice (spamming)"));
  EXPECT_TRUE(bob->wait_closed());
  // The operator's answer; the departure line may come before or after it.
  EXPECT_TRUE(alice->stdout_contains("*** alice kicked bob (spamming)"));
  EXPECT_EQ(chat->read_logged("Operator action: (.*)"), "alice kicked bob (spamming)");
  // Carol hears of the kick once, whatever the order of bob's departure and
  // alice's next line: read until both have come.
  alice->write_stdin("after the kick\n");
  int kick_lines = 0;
  bool departed = false;
  bool heard_after = false;
  while (!(departed && heard_after)) {
    const auto line = carol->read_line();
    ASSERT_TRUE(line.has_value()) << "departed " << departed << ", heard after " << heard_after;
    if (line->find("kicked") != std::string::npos) ++kick_lines;
    departed =
        departed || line->starts_with("*** bob was disconnected: kicked by alice (spamming)");
    heard_after = heard_after || line->ends_with("after the kick");
  }
  EXPECT_EQ(kick_lines, 1);
}

TEST_F(ModerationTest, ABanByNameKeepsThatAddressOutAndOthersInUntilItIsLifted) {
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");
  auto bob = plain(*chat, "bob", "127.0.0.2");
  alice->write_stdin("/ban bob 1h spam\n");
  EXPECT_TRUE(bob->read_until("Error: disconnected: banned by alice (spam)"));
  EXPECT_TRUE(bob->wait_closed());
  EXPECT_TRUE(alice->stdout_contains("*** alice banned bob until "));
  const auto refused = first_line_from(*chat, "127.0.0.2");
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->starts_with("Error: you are banned from this server until ")) << *refused;
  EXPECT_TRUE(refused->ends_with(" (spam)")) << *refused;
  EXPECT_EQ(first_line_from(*chat, "127.0.0.3"), "Welcome to LoChat!");
  alice->write_stdin("/bans\n");
  EXPECT_TRUE(alice->stdout_contains("*** Bans (1):"));
  EXPECT_TRUE(alice->stdout_contains("*** 127.0.0.2 until "));
  alice->write_stdin("/unban 127.0.0.2\n");
  EXPECT_TRUE(alice->stdout_contains("*** alice unbanned 127.0.0.2"));
  EXPECT_EQ(first_line_from(*chat, "127.0.0.2"), "Welcome to LoChat!");
}

TEST_F(ModerationTest, ABanOfAnAddressForASecondRunsOut) {
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");
  alice->write_stdin("/ban 127.0.0.4 1s\n");
  ASSERT_TRUE(alice->stdout_contains("*** alice banned 127.0.0.4 until "));
  const auto refused = first_line_from(*chat, "127.0.0.4");
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->starts_with("Error: you are banned from this server until ")) << *refused;
  EXPECT_TRUE(
      eventually([&] { return first_line_from(*chat, "127.0.0.4") == "Welcome to LoChat!"; }));
}

TEST_F(ModerationTest, ABanOfAKeyKeepsThatKeyOutFromAnyAddressButNotItsAddress) {
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");
  const auto bob_key = make_key("bob");
  const auto bob = keyed(*chat, bob_key, "bob");
  std::string lower = bob_key.fingerprint;
  for (auto& c : lower) c = static_cast<char>(std::tolower(c));
  alice->write_stdin("/ban " + lower + " stolen laptop\n");
  EXPECT_TRUE(bob->stdout_contains("Error: disconnected: banned by alice (stolen laptop)"));
  EXPECT_TRUE(alice->stdout_contains("*** alice banned " + lower + " (stolen laptop)"));
  ChildProcess again({kOpenssl, "s_client", "-quiet", "-connect",
                      "127.0.0.1:" + std::to_string(chat->tls_port()), "-cert", bob_key.certificate,
                      "-key", bob_key.key});
  EXPECT_EQ(again.read_stdout_line(), "Error: you are banned from this server (stolen laptop)");
  EXPECT_EQ(first_line_from(*chat, "127.0.0.1"), "Welcome to LoChat!");
}

TEST_F(ModerationTest, AMutedMemberStillReadsButItsLinesAreRefusedUntilUnmuted) {
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");
  auto bob = plain(*chat, "bob", "127.0.0.2");
  auto carol = plain(*chat, "carol", "127.0.0.3");
  alice->write_stdin("/mute bob\n");
  EXPECT_TRUE(carol->read_until("*** alice muted bob"));
  EXPECT_TRUE(bob->read_until("*** alice muted bob"));
  bob->send_line("can you hear me");
  EXPECT_TRUE(bob->read_until("Error: you are muted: your lines are not sent"));
  bob->send_line("/me shouts");
  EXPECT_TRUE(bob->read_until("Error: you are muted: your lines are not sent"));
  carol->send_line("bob is quiet now");
  EXPECT_TRUE(bob->read_until("From carol: bob is quiet now"));
  alice->write_stdin("/unmute bob\n");
  EXPECT_TRUE(bob->read_until("*** alice unmuted bob"));
  bob->send_line("thank you");
  // Carol heard none of the muted lines: the next chat line she gets is this one.
  EXPECT_TRUE(carol->read_until("*** alice unmuted bob"));
  EXPECT_EQ(carol->read_chat_line(), "From bob: thank you");
}

TEST_F(ModerationTest, TheTopicIsSetByAnOperatorAnnouncedAndShownToNewcomers) {
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");
  auto bob = plain(*chat, "bob", "127.0.0.2");
  bob->send_line("/topic mine now");
  EXPECT_TRUE(bob->read_until("Error: /topic is for operators"));
  alice->write_stdin("/topic lunch at noon\n");
  EXPECT_TRUE(bob->read_until("*** alice set the topic: lunch at noon"));
  auto carol = LineClient::from("127.0.0.3", chat->port());
  EXPECT_TRUE(carol.read_until("*** Topic: lunch at noon"));
  bob->send_line("/topic");
  EXPECT_TRUE(bob->read_until("*** Topic: lunch at noon"));
}

TEST_F(ModerationTest, TheMessageOfTheDayGreetsNewcomersAndComesBackOnAsking) {
  write(path("motd"), "Be nice\nNo \x1b[2Jspam\n");
  const auto chat = server({"--motd-file", path("motd")});
  auto bob = LineClient::from("127.0.0.2", chat->port());
  EXPECT_TRUE(bob.read_until("*** MOTD: Be nice"));
  EXPECT_EQ(bob.read_line(), "*** MOTD: No [2Jspam");
  bob.send_line("/motd");
  EXPECT_EQ(bob.read_line(), "*** MOTD: Be nice");
}

TEST_F(ModerationTest, EveryOperatorsCommandIsRefusedToOthersAndHelpDoesNotListThem) {
  const auto chat = server();
  auto bob = plain(*chat, "bob", "127.0.0.2");
  auto carol = plain(*chat, "carol", "127.0.0.3");
  const auto not_an_operator = keyed(*chat, make_key("mallory"), "mallory");
  for (const std::string command : {"kick", "ban", "unban", "bans", "mute", "unmute", "free"}) {
    bob->send_line("/" + command + " carol 1h");
    EXPECT_EQ(bob->read_chat_line(), "Error: /" + command + " is for operators");
    not_an_operator->write_stdin("/" + command + " carol\n");
    EXPECT_TRUE(not_an_operator->stdout_contains("Error: /" + command + " is for operators"));
  }
  bob->send_line("/help");
  EXPECT_TRUE(bob->read_until("*** /motd - show the message of the day again"));
  EXPECT_EQ(bob->read_line(), "*** //text - send a message that starts with /");
  carol->send_line("still here");
  EXPECT_TRUE(bob->read_until("From carol: still here"));
}

TEST_F(ModerationTest, BansSurviveARestartAndAHalfWrittenFileIsIgnored) {
  {
    const auto chat = server();
    const auto alice = keyed(*chat, alice_key_, "alice");
    alice->write_stdin("/ban 127.0.0.2 spam\n");
    ASSERT_TRUE(alice->stdout_contains("*** alice banned 127.0.0.2 (spam)"));
    chat->process().send_signal(SIGTERM);
    ASSERT_EQ(chat->process().wait_exit(), 0);
  }
  // What a crash while writing the next version leaves behind: never read.
  write(state() + "/bans.txt.new", "127.0.0.3 - alice half");
  const auto chat = server();
  EXPECT_EQ(first_line_from(*chat, "127.0.0.2"), "Error: you are banned from this server (spam)");
  EXPECT_EQ(first_line_from(*chat, "127.0.0.3"), "Welcome to LoChat!");
}

TEST_F(ModerationTest, SighupReadsTheOpsFileAgainAndMakesAnOperatorWithoutARestart) {
  write(ops_file(), "# nobody yet\nnot a fingerprint\n");
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");
  auto bob = plain(*chat, "bob", "127.0.0.2");
  alice->write_stdin("/kick bob\n");
  ASSERT_TRUE(alice->stdout_contains("Error: /kick is for operators"));
  write(ops_file(), alice_key_.fingerprint + "\n");
  chat->process().send_signal(SIGHUP);
  EXPECT_EQ(chat->read_logged(R"(Operators: (\d+) key\(s\))"), "1");
  alice->write_stdin("/kick bob\n");
  EXPECT_TRUE(bob->read_until("Error: disconnected: kicked by alice"));
}

TEST_F(ModerationTest, ANameInTheOpsFileMakesItsOwnerAnOperatorWhoFreesANameForAnotherKey) {
  write(ops_file(), "alice\n");
  const auto chat = server();
  const auto alice = keyed(*chat, alice_key_, "alice");  // her key takes, and owns, alice
  const auto bob_key = make_key("bob");
  keyed(*chat, bob_key, "bob");  // owns bob, then is gone
  ASSERT_TRUE(alice->stdout_contains("*** bob left"));
  const auto mallory = keyed(*chat, make_key("mallory"), "mallory");
  mallory->write_stdin("/nick bob\n");
  ASSERT_TRUE(mallory->stdout_contains("Error: the name bob belongs to another key"));
  alice->write_stdin("/free bob\n");
  EXPECT_TRUE(mallory->stdout_contains("*** alice freed the name bob"));
  mallory->write_stdin("/nick bob\n");
  EXPECT_TRUE(mallory->stdout_contains("*** You are now known as bob"));
}

}  // namespace
}  // namespace lochat::test
