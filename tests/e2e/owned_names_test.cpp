// Names owned by keys, with the real binaries: lochat makes and presents its
// key, the server records who took a name first and refuses it to anyone
// else (another key, or no key at all), across restarts and crashes; /who,
// notices and the lochat client show who is verified.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "pty_client.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

constexpr std::string_view kBobIsOwned = "Error: the name bob belongs to another key";

// A fresh directory per test: the server's state, and one data directory
// (one key) per person, removed afterwards.
class OwnedNames : public ::testing::Test {
 protected:
  [[nodiscard]] std::string state() const { return (directory_.path() / "state").string(); }
  [[nodiscard]] std::string owners_file() const { return state() + "/owned_names.txt"; }
  [[nodiscard]] std::string data(const std::string& person) const {
    return (directory_.path() / person).string();
  }
  std::unique_ptr<ServerProcess> server() {
    return std::make_unique<ServerProcess>(
        std::vector<std::string>{"--tls-port", "0", "--state-dir", state()});
  }
  // `lochat --whoami` for `person`: its key made in the person's data directory.
  std::string whoami(const std::string& person) {
    ChildProcess lochat({client_binary(), "--whoami"}, {"XDG_DATA_HOME=" + data(person)});
    const auto fingerprint = lochat.read_stdout_line();
    EXPECT_EQ(lochat.wait_exit(), 0);
    return fingerprint.value_or("");
  }
  // The real lochat as `person`, asking for `name`; its lines on stdout, its warnings on stderr.
  std::unique_ptr<ChildProcess> lochat(const std::string& person, const ServerProcess& chat,
                                       const std::string& name) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{client_binary(), "--host", "127.0.0.1", "--port",
                                 std::to_string(chat.port()), "--tls-port",
                                 std::to_string(chat.tls_port()), "--name", name},
        std::vector<std::string>{"XDG_DATA_HOME=" + data(person)});
  }
  // A TLS client nobody here wrote, presenting `person`'s key (made by lochat --whoami).
  std::unique_ptr<ChildProcess> openssl_as(const std::string& person, const ServerProcess& chat) {
    whoami(person);
    const std::string keys = data(person) + "/lochat/";
    return std::make_unique<ChildProcess>(std::vector<std::string>{
        kOpenssl, "s_client", "-quiet", "-connect", "127.0.0.1:" + std::to_string(chat.tls_port()),
        "-cert", keys + "cert.pem", "-key", keys + "key.pem"});
  }
  // openssl_as(person), having taken `person` as its name.
  std::unique_ptr<ChildProcess> openssl_named(const std::string& person,
                                              const ServerProcess& chat) {
    auto client = openssl_as(person, chat);
    EXPECT_TRUE(client->stdout_contains("Welcome to LoChat!"));
    client->write_stdin("/nick " + person + "\n");
    EXPECT_TRUE(client->stdout_contains("*** You are now known as " + person));
    return client;
  }
  // bob takes his name with his key, and is heard doing so.
  void bob_takes_his_name(const ServerProcess& chat) {
    const auto bob = lochat("bob", chat, "bob");
    ASSERT_TRUE(bob->stdout_contains("*** You are now known as bob"));
    bob->close_stdin();
    EXPECT_EQ(bob->wait_exit(), 0);
  }
  static void restart(std::unique_ptr<ServerProcess>& chat, int signal) {
    chat->process().send_signal(signal);
    ASSERT_TRUE(chat->process().wait_exit());
    chat.reset();
  }

  ScratchDirectory directory_{"lochat-owned"};
};

std::unique_ptr<LineClient> plain_client(const ServerProcess& chat) {
  auto client = std::make_unique<LineClient>(chat.port());
  EXPECT_EQ(client->read_line(), "Welcome to LoChat!");
  return client;
}

TEST_F(OwnedNames, WhoamiPrintsTheFingerprintTheServerSeesOfAKeyOnlyItsOwnerCanRead) {
  const auto chat = server();
  const std::string fingerprint = whoami("bob");
  EXPECT_EQ(fingerprint.size(), 95U) << fingerprint;  // 32 bytes as "AB:" pairs
  struct stat key {};
  ASSERT_EQ(::stat((data("bob") + "/lochat/key.pem").c_str(), &key), 0);
  EXPECT_EQ(key.st_mode & 0777, 0600U);
  EXPECT_EQ(whoami("bob"), fingerprint) << "the key is made once";
  const auto bob = lochat("bob", *chat, "bob");
  EXPECT_EQ(chat->read_logged("presents the key ([0-9A-F:]+)"), fingerprint);
}

TEST_F(OwnedNames, TheRealBobGetsHisNameBackAfterARestartThoughAttackersConnectFirst) {
  auto chat = server();
  bob_takes_his_name(*chat);
  restart(chat, SIGTERM);
  chat = server();
  // The attackers race to reconnect first: one with a key of its own, one with none.
  const auto attacker = openssl_as("mallory", *chat);
  const auto bare = plain_client(*chat);
  ASSERT_TRUE(attacker->stdout_contains("Welcome to LoChat!"));
  attacker->write_stdin("/nick bob\n");
  bare->send_line("/nick bob");
  EXPECT_TRUE(attacker->stdout_contains(kBobIsOwned));
  EXPECT_TRUE(bare->read_until(kBobIsOwned));
  const auto bob = lochat("bob", *chat, "bob");
  EXPECT_TRUE(bob->stdout_contains("*** You are now known as bob"));
  EXPECT_TRUE(bare->read_until("*** bob is verified (the name belongs to their key)"));
}

TEST_F(OwnedNames, AClientWithoutAKeyTakesNeitherAnOwnedNameNorALookAlikeOfIt) {
  const auto chat = server();
  bob_takes_his_name(*chat);
  const auto bare = plain_client(*chat);
  for (const std::string look_alike :
       {"bob", "BOB", "B0b", "\xF0\x9D\x90\x9B\xF0\x9D\x90\xA8\xF0\x9D\x90\x9B"}) {
    bare->send_line("/nick " + look_alike);
    EXPECT_TRUE(bare->read_until("Error: the name " + look_alike + " belongs to another key"))
        << look_alike;
  }
  bare->send_line("/nick robert");
  EXPECT_TRUE(bare->read_until("*** You are now known as robert"));
}

// Not "taken": the answer does not depend on whether the owner is online.
TEST_F(OwnedNames, AnOwnedNameIsSaidToBelongToAnotherKeyWhileItsOwnerIsOnline) {
  const auto chat = server();
  const auto bob = openssl_named("bob", *chat);
  const auto bare = plain_client(*chat);
  bare->send_line("/nick bob");
  EXPECT_TRUE(bare->read_until("Error: the name bob belongs to another key"));
}

TEST_F(OwnedNames, LochatRefusedAnOwnedNameFallsBackAndSaysWhyLoudly) {
  const auto chat = server();
  bob_takes_his_name(*chat);
  const auto other = lochat("mallory", *chat, "bob");
  EXPECT_TRUE(other->stdout_contains("*** You are now known as bob_2"));
  EXPECT_TRUE(
      other->stderr_contains("the name 'bob' belongs to another key: you are 'bob_2' here."));
}

TEST_F(OwnedNames, ReleaseGivesUpTheNameAndAnyoneMayTakeItOnceItIsFree) {
  const auto chat = server();
  const auto bob = openssl_named("bob", *chat);
  const auto bare = plain_client(*chat);
  bob->write_stdin("/release\n");
  EXPECT_TRUE(bob->stdout_contains(
      "*** Your key no longer owns the name bob: any key may take it once it is free"));
  EXPECT_TRUE(bare->read_until("*** bob is no longer verified (gave up the name)"));
  bob->write_stdin("/quit\n");
  ASSERT_TRUE(bare->read_until("*** bob left (1 online)"));
  bare->send_line("/nick bob");
  EXPECT_TRUE(bare->read_until("*** You are now known as bob"));
  bare->send_line("/release");
  EXPECT_TRUE(bare->read_until(
      "Error: your key does not own the name bob (only a key presented over TLS, as lochat "
      "does, owns a name)"));
}

TEST_F(OwnedNames, WhoMarksVerifiedNamesOnly) {
  const auto chat = server();
  const auto bob = openssl_named("bob", *chat);
  const auto bare = plain_client(*chat);
  ASSERT_TRUE(bare->read_line()->starts_with("*** lochat-server protocol"));
  EXPECT_TRUE(bare->read_line()->ends_with(
      "; verified), 127.0.0.1:" + std::to_string(bare->local_endpoint().port) + " (0s)"));
  bare->send_line("/nick carol");
  ASSERT_TRUE(bare->read_until("*** You are now known as carol"));
  bare->send_line("/who");
  const auto who = bare->read_line();
  ASSERT_TRUE(who);
  EXPECT_TRUE(std::regex_match(
      *who, std::regex(R"(\*\*\* Online \(2\): bob \(\d+s; verified\), carol \(\d+s\))")))
      << *who;
}

TEST_F(OwnedNames, TheServerReadsItsFileAfterAKillDashNineAndAStaleNewFile) {
  auto chat = server();
  bob_takes_his_name(*chat);
  restart(chat, SIGKILL);
  // A crash between writing the next file and renaming it over this one leaves it behind.
  std::ofstream(owners_file() + ".new") << "00:11 mallo";
  chat = server();
  const auto bare = plain_client(*chat);
  bare->send_line("/nick bob");
  EXPECT_TRUE(bare->read_until(kBobIsOwned));
}

TEST_F(OwnedNames, LochatMarksTheSendersWhoseKeyDoesNotOwnTheirName) {
  const auto chat = server();
  const auto carol = openssl_named("carol", *chat);
  const auto dave = plain_client(*chat);
  dave->send_line("/nick dave");
  ASSERT_TRUE(dave->read_until("*** You are now known as dave"));
  // The pty client inherits the environment: its key goes to this test's directory.
  ::setenv("XDG_DATA_HOME", data("alice").c_str(), 1);
  PtyClient alice(chat->port(),
                  {"--tls-port", std::to_string(chat->tls_port()), "--name", "alice"});
  ASSERT_TRUE(alice.shows("You are now known as alice")) << alice.output();
  carol->write_stdin("hello from a key\n");
  dave->send_line("hello from nowhere");
  EXPECT_TRUE(alice.screen_until([](const TerminalScreen& screen) {
    const auto rows = screen.rows();
    const auto shows = [&](const std::string& ending) {
      return std::any_of(rows.begin(), rows.end(),
                         [&](const std::string& row) { return row.ends_with(ending); });
    };
    return shows(" carol: hello from a key") && shows(" dave?: hello from nowhere");
  })) << alice.output();
}

}  // namespace
}  // namespace lochat::test
