// The server password with the real binaries: `lochat-server --hash-password`
// and --password-file, openssl s_client and lochat as clients over TLS, the
// plain port, and what wrong passwords cost an address (docs/SECURITY.md).
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lochat/server/address_limits.hpp"
#include "pty_client.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

constexpr std::string_view kPassword = "Zebra-Secret-42";
constexpr std::string_view kPasswordNeeded =
    "; password needed (send /pass PASSWORD over TLS, port ";

// A fresh directory per test for the password files, the server's state and
// the client's pins; a server with a password made by the real binary.
class PasswordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int made = 0;
    directory_ = std::filesystem::temp_directory_path() /
                 ("lochat-pass-" + std::to_string(::getpid()) + "-" + std::to_string(++made));
    std::filesystem::create_directories(directory_ / "data");
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  // The line `lochat-server --hash-password` prints for `password`.
  static std::string hash_line(std::string_view password) {
    ChildProcess hasher({server_binary(), "--hash-password"});
    hasher.write_stdin(std::string(password) + "\n");
    hasher.close_stdin();
    auto line = hasher.read_stdout_line();
    EXPECT_EQ(hasher.wait_exit(), 0);
    return line.value_or("");
  }
  std::unique_ptr<ServerProcess> server(std::vector<std::string> extra = {}) {
    const auto file = (directory_ / "password.hash").string();
    std::ofstream(file) << hash_line(kPassword) << "\n";
    extra.insert(extra.end(), {"--tls-port", "0", "--state-dir", (directory_ / "state").string(),
                               "--password-file", file});
    return std::make_unique<ServerProcess>(extra);
  }
  [[nodiscard]] std::string password_file() const {
    const auto file = (directory_ / "password").string();
    std::ofstream(file) << kPassword << "\n";
    return file;
  }
  std::unique_ptr<ChildProcess> lochat(const ServerProcess& server,
                                       std::vector<std::string> extra) {
    std::vector<std::string> argv{client_binary(),
                                  "--host",
                                  "127.0.0.1",
                                  "--port",
                                  std::to_string(server.port()),
                                  "--tls-port",
                                  std::to_string(server.tls_port()),
                                  "--name",
                                  "alice",
                                  "--password-file",
                                  password_file()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(
        argv, std::vector<std::string>{"XDG_DATA_HOME=" + (directory_ / "data").string()});
  }

  std::filesystem::path directory_;
};

std::unique_ptr<ChildProcess> s_client(const ServerProcess& server) {
  return std::make_unique<ChildProcess>(
      std::vector<std::string>{kOpenssl, "s_client", "-quiet", "-connect",
                               "127.0.0.1:" + std::to_string(server.tls_port())});
}

// Past the greeting: the welcome, then the self-description saying a password is needed.
void expect_greeting(ChildProcess& client, const ServerProcess& server) {
  EXPECT_EQ(client.read_stdout_line(), "Welcome to LoChat!");
  const auto about = client.read_stdout_line();
  ASSERT_TRUE(about);
  EXPECT_TRUE(
      about->ends_with(std::string(kPasswordNeeded) + std::to_string(server.tls_port()) + ")"))
      << *about;
}

// A member of the room, in with the password, that has said `text` (acknowledged).
std::unique_ptr<ChildProcess> talking_member(const ServerProcess& server, std::string_view text) {
  auto member = s_client(server);
  member->write_stdin("/pass " + std::string(kPassword) + "\n");
  EXPECT_TRUE(member->stdout_contains("*** Password accepted"));
  member->write_stdin("/nick member\n" + std::string(text) + "\n");
  EXPECT_TRUE(member->stdout_contains("Message Received"));
  return member;
}

// Every line the server logged until it stopped.
std::vector<std::string> log_until_stopped(ServerProcess& server) {
  server.process().send_signal(SIGTERM);
  EXPECT_EQ(server.process().wait_exit(), 0);
  std::vector<std::string> lines;
  while (auto line = server.process().read_stderr_line()) lines.push_back(std::move(*line));
  return lines;
}

TEST_F(PasswordTest, HashPasswordPrintsAnArgon2idLineAndNotThePassword) {
  const auto line = hash_line(kPassword);
  EXPECT_TRUE(line.starts_with("$argon2id$v=19$")) << line;
  EXPECT_EQ(line.find(kPassword), std::string::npos);
  ChildProcess empty({server_binary(), "--hash-password"});
  empty.close_stdin();
  EXPECT_EQ(empty.wait_exit(), 2);
}

TEST_F(PasswordTest, OpensslWithTheRightPasswordSeesTheRoomOnlyAfterIt) {
  const auto chat = server();
  const auto member = talking_member(*chat, "said before you came");
  const auto newcomer = s_client(*chat);
  expect_greeting(*newcomer, *chat);
  // Lines before the password get one reminder, and nothing of the room comes before it.
  newcomer->write_stdin("hello?\nanyone?\n");
  EXPECT_EQ(newcomer->read_stdout_line(),
            "Error: a password is needed first: send /pass PASSWORD over TLS, port " +
                std::to_string(chat->tls_port()));
  newcomer->write_stdin("/pass " + std::string(kPassword) + "\n");
  EXPECT_EQ(newcomer->read_stdout_line(), "*** Password accepted");
  const auto online = newcomer->read_stdout_line();
  ASSERT_TRUE(online);
  EXPECT_TRUE(online->starts_with("*** Online (2): member")) << *online;
  const auto history = newcomer->read_stdout_line();
  ASSERT_TRUE(history);
  EXPECT_TRUE(history->ends_with("From member: said before you came")) << *history;
}

TEST_F(PasswordTest, WithoutThePasswordOrWithAWrongOneNothingOfTheRoomArrives) {
  const auto chat = server();
  const auto member = talking_member(*chat, "first words");
  const auto intruder = s_client(*chat);
  expect_greeting(*intruder, *chat);
  intruder->write_stdin("/who\n");
  EXPECT_TRUE(intruder->read_stdout_line()->starts_with("Error: a password is needed first"));
  member->write_stdin("said while someone knocks\n/who\n");
  EXPECT_TRUE(member->stdout_contains("Message Received"));
  const auto who = member->read_stdout_line();
  ASSERT_TRUE(who);
  EXPECT_TRUE(who->starts_with("*** Online (1): member")) << "not counted: " << *who;
  intruder->write_stdin("/pass not-it\n");
  EXPECT_EQ(intruder->read_stdout_line(), "Error: wrong password");
  member->write_stdin("said after a wrong password\n");
  EXPECT_TRUE(member->stdout_contains("Message Received"));
  intruder->write_stdin("/pass still-not-it\n");
  EXPECT_EQ(intruder->read_stdout_line(), "Error: wrong password")
      << "no relay, roster, history or join notice came before it";
}

TEST_F(PasswordTest, PassOnThePlainPortIsRefusedAndNoLogLineEverHoldsThePassword) {
  auto chat = server({"--log-level", "debug"});
  LineClient plain(chat->port());
  EXPECT_EQ(plain.read_line(), "Welcome to LoChat!");
  EXPECT_TRUE(plain.read_line()->ends_with(")"));
  plain.send_line("/pass " + std::string(kPassword));
  EXPECT_EQ(plain.read_line(),
            "Error: a password is only accepted over TLS (not checked): reconnect to port " +
                std::to_string(chat->tls_port()));
  // Over TLS: right, then again once in, then a chat line that says it.
  const auto member = talking_member(*chat, "the password is not " + std::string(kPassword, 0, 5));
  member->write_stdin("/pass " + std::string(kPassword) + "\n");
  EXPECT_TRUE(member->stdout_contains("Error: no password is needed now"));
  const auto wrong = s_client(*chat);
  wrong->write_stdin("/pass " + std::string(kPassword) + "x\n");
  EXPECT_TRUE(wrong->stdout_contains("Error: wrong password"));
  const auto log = log_until_stopped(*chat);
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const std::string& line) {
    return line.find("member: the password is not") != std::string::npos;
  })) << "debug logging is on, so a chat line's text is logged";
  for (const auto& line : log) EXPECT_EQ(line.find(kPassword), std::string::npos) << line;
}

TEST_F(PasswordTest, RepeatedWrongPasswordsRefuseTheAddressAcrossReconnectsWithOneLogLine) {
  auto chat = server();
  {
    const auto first = s_client(*chat);
    expect_greeting(*first, *chat);
    for (std::size_t i = 1; i < kWrongPasswordsAllowed; ++i) {
      first->write_stdin("/pass guess-" + std::to_string(i) + "\n");
      EXPECT_EQ(first->read_stdout_line(), "Error: wrong password");
    }
  }
  const auto second = s_client(*chat);
  expect_greeting(*second, *chat);
  second->write_stdin("/pass the-last-guess\n");
  const auto refusal = second->read_stdout_line();
  ASSERT_TRUE(refusal);
  EXPECT_EQ(*refusal, "Error: too many wrong passwords from 127.0.0.1, try again in 1m");
  EXPECT_EQ(second->read_stdout_line(), std::nullopt) << "closed";
  // A new connection from the address is refused at once, the right password or not.
  LineClient third(chat->port());
  const auto again = third.read_line();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->starts_with("Error: too many wrong passwords from 127.0.0.1, try again in"));
  EXPECT_TRUE(third.wait_closed());
  const auto log = log_until_stopped(*chat);
  EXPECT_EQ(std::count_if(log.begin(), log.end(),
                          [](const std::string& line) {
                            return line.find("Refusing 127.0.0.1") != std::string::npos;
                          }),
            1);
}

TEST_F(PasswordTest, LochatWithAPasswordFileGetsInOverTlsAndRefusesToSendItInClear) {
  const auto chat = server();
  const auto member = talking_member(*chat, "welcome");
  const auto client = lochat(*chat, {});
  client->write_stdin("hi from lochat\n");
  EXPECT_TRUE(member->stdout_contains("From alice: hi from lochat"));
  const auto in_clear = lochat(*chat, {"--plain"});
  EXPECT_TRUE(
      in_clear->stderr_contains("not sending it in clear (anyone on the LAN could read "
                                "it): connect over TLS, port " +
                                std::to_string(chat->tls_port())));
}

TEST_F(PasswordTest, LochatOnATerminalAsksForThePasswordWithEchoOffAndSendsItFirst) {
  const auto chat = server();
  const auto member = talking_member(*chat, "welcome");
  // The pins go to this test's directory: the pty client inherits the environment.
  ::setenv("XDG_DATA_HOME", (directory_ / "data").c_str(), 1);
  PtyClient alice(chat->port(),
                  {"--tls-port", std::to_string(chat->tls_port()), "--name", "alice"});
  ASSERT_TRUE(alice.shows("Server password: ")) << alice.output();
  alice.type(std::string(kPassword) + "\r");
  EXPECT_TRUE(member->stdout_contains("*** alice joined"));
  alice.type("typed after the password\r");
  EXPECT_TRUE(member->stdout_contains("From alice: typed after the password"));
  EXPECT_EQ(alice.output().find(kPassword), std::string::npos) << "echo is off";
}

TEST_F(PasswordTest, CtrlCAtThePasswordPromptEndsLochatAndGivesTheTerminalBack) {
  const auto chat = server();
  ::setenv("XDG_DATA_HOME", (directory_ / "data").c_str(), 1);
  PtyClient alice(chat->port(),
                  {"--tls-port", std::to_string(chat->tls_port()), "--name", "alice"});
  ASSERT_TRUE(alice.shows("Server password: ")) << alice.output();
  alice.type("half a pass");
  alice.type("\x03");  // Ctrl-C, as the terminal's VINTR
  EXPECT_EQ(alice.wait_exit(), 0) << alice.output();
  EXPECT_TRUE(alice.terminal_restored());
  EXPECT_EQ(alice.output().find("needs a password"), std::string::npos) << "it was not missing";
}

}  // namespace
}  // namespace lochat::test
