// End-to-end tests of the real binaries: lochat-server, the `lochat` client and
// plain `nc`, each a separate process talking over 127.0.0.1 only.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lochat/net/socket.hpp"
#include "lochat/wire/protocol.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

using Clock = std::chrono::steady_clock;

using protocol::kWelcome;
constexpr std::string_view kAck = "Message Received";
constexpr std::string_view kShutdownNotice = "*** Server is shutting down";
constexpr std::string_view kBye = "Exited Gracefully! Bye :)";
constexpr auto kShutdownBound = std::chrono::seconds(2);

// `lochat` takes the login name by default; two test clients would then share
// one name and negotiate. An empty --name asks for none, so the server names
// each client by its address, as these tests expect.
ChildProcess start_client(std::uint16_t port, const std::string& name = "") {
  return ChildProcess(
      {client_binary(), "--host", "127.0.0.1", "--port", std::to_string(port), "--name", name});
}

// The next stdout line that is not a presence notice ("*** ..."): those arrive
// whenever someone comes or goes, so tests about messages skip them.
std::optional<std::string> next_chat_line(ChildProcess& child) {
  while (auto line = child.read_stdout_line()) {
    if (!line->starts_with("*** ")) return line;
  }
  return std::nullopt;
}

// Every stderr line up to end of file; call once the child has exited.
std::vector<std::string> stderr_until_eof(ChildProcess& child) {
  std::vector<std::string> lines;
  while (auto line = child.read_stderr_line()) lines.push_back(*line);
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all.empty() ? "(nothing)" : all;
}

std::string relay_line(std::uint16_t sender_port, std::string_view text) {
  return "From 127.0.0.1:" + std::to_string(sender_port) + ": " + std::string(text);
}

// A TCP port on 127.0.0.1 that is bound but not listening: while this object
// lives nobody else can take the port, and connecting to it is refused.
class UnlistenedPort {
 public:
  UnlistenedPort() : socket_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!socket_.valid() ||
        ::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind a socket to 127.0.0.1:0");
    }
  }
  [[nodiscard]] std::uint16_t port() const { return local_port(socket_); }

 private:
  FileDescriptor socket_;
};

// Sends `signal` to a server with clients connected and checks the whole
// graceful shutdown: everyone told, everyone closed, clean exit, in time.
void expect_graceful_shutdown_on(int signal) {
  ServerProcess server;
  constexpr int kClients = 5;
  std::vector<std::unique_ptr<LineClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<LineClient>(server.port()));
    // Only a client that got its welcome surely has a session to be told.
    ASSERT_TRUE(clients.back()->read_until(kWelcome)) << "client " << i;
  }

  const auto signalled_at = Clock::now();
  server.process().send_signal(signal);
  const auto exit_code = server.process().wait_exit();
  const auto took = Clock::now() - signalled_at;

  EXPECT_EQ(exit_code, 0);
  EXPECT_LT(took, kShutdownBound)
      << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_TRUE(server.process().stdout_contains(kBye));
  for (int i = 0; i < kClients; ++i) {
    auto& client = *clients[static_cast<std::size_t>(i)];
    EXPECT_TRUE(client.read_until(kShutdownNotice)) << "client " << i;
    // The notice is the last line: right after it the connection ends.
    const auto after_notice = client.read_line();
    EXPECT_FALSE(after_notice.has_value()) << "client " << i << " then got: " << *after_notice;
    EXPECT_TRUE(client.wait_closed()) << "client " << i;
  }
}

TEST(Binaries, TwoClientsChatThroughTheServer) {
  ServerProcess server;
  auto alice = start_client(server.port());
  ASSERT_EQ(alice.read_stdout_line(), kWelcome);
  const auto alice_port = server.next_connected_port();
  ASSERT_TRUE(alice_port.has_value());
  auto bob = start_client(server.port());
  // The server sends the welcome only once Bob is in the room, so he gets Alice's line.
  ASSERT_EQ(bob.read_stdout_line(), kWelcome);

  alice.write_stdin("hello\n");
  EXPECT_EQ(next_chat_line(alice), kAck);
  EXPECT_EQ(next_chat_line(bob), relay_line(*alice_port, "hello"));

  alice.write_stdin(":q\n");
  EXPECT_EQ(alice.wait_exit(), 0);
  // Alice was announced when she first spoke, so her leaving is announced too.
  EXPECT_TRUE(bob.stdout_contains("*** 127.0.0.1:" + std::to_string(*alice_port) + " left"));
}

TEST(Binaries, ClientChatsUnderTheNameItIsGiven) {
  ServerProcess server;
  LineClient observer(server.port());
  ASSERT_TRUE(observer.read_until(kWelcome));
  auto alice = start_client(server.port(), "alice");
  ASSERT_EQ(alice.read_stdout_line(), kWelcome);
  ASSERT_TRUE(alice.stdout_contains("*** You are now known as alice"));

  alice.write_stdin("hello\n");
  EXPECT_EQ(next_chat_line(alice), kAck);
  EXPECT_EQ(observer.read_chat_line(), "From alice: hello");
  alice.write_stdin(":q\n");
  EXPECT_EQ(alice.wait_exit(), 0);
}

TEST(Binaries, NetcatIsAFirstClassClient) {
  const std::string netcat = "/usr/bin/nc";
  if (::access(netcat.c_str(), X_OK) != 0) {
    GTEST_SKIP() << netcat << " is missing (the project's setup installs netcat-openbsd)";
  }
  ServerProcess server;
  LineClient observer(server.port());
  ASSERT_TRUE(observer.read_until(kWelcome));
  ASSERT_TRUE(server.next_connected_port().has_value());  // the observer's own log line

  ChildProcess nc({netcat, "127.0.0.1", std::to_string(server.port())});
  ASSERT_EQ(nc.read_stdout_line(), kWelcome);
  const auto nc_port = server.next_connected_port();
  ASSERT_TRUE(nc_port.has_value());

  nc.write_stdin("hello from nc\n");
  EXPECT_EQ(next_chat_line(nc), kAck);
  EXPECT_EQ(observer.read_chat_line(), relay_line(*nc_port, "hello from nc"));

  observer.send_line("hello nc");
  EXPECT_EQ(observer.read_chat_line(), kAck);
  EXPECT_EQ(next_chat_line(nc), relay_line(observer.local_endpoint().port, "hello nc"));
}

TEST(Binaries, ExitWhenEmptyStopsTheServerOnceTheLastClientLeft) {
  ServerProcess server({"--exit-when-empty"});
  LineClient client(server.port());
  ASSERT_TRUE(client.read_until(kWelcome));
  EXPECT_FALSE(server.process().wait_exit(std::chrono::milliseconds(0)))
      << "the server quit while a client was still connected";

  client.close();
  EXPECT_EQ(server.process().wait_exit(), 0);
  EXPECT_TRUE(server.process().stdout_contains(kBye));
}

TEST(Binaries, ServerReportsAPortInUseAndExits) {
  ServerProcess first;
  const std::string port = std::to_string(first.port());
  ChildProcess second({server_binary(), "--host", "127.0.0.1", "--port", port, "--no-discovery"});

  const auto exit_code = second.wait_exit();
  ASSERT_TRUE(exit_code.has_value()) << "the second server is running on a port in use";
  EXPECT_NE(*exit_code, 0);
  const auto errors = stderr_until_eof(second);
  ASSERT_EQ(errors.size(), 1U) << joined(errors);
  EXPECT_NE(errors[0].find("127.0.0.1:" + port), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("Address already in use"), std::string::npos) << errors[0];

  // The failed attempt must not have disturbed the server that owns the port.
  LineClient client(first.port());
  EXPECT_TRUE(client.read_until(kWelcome));
}

TEST(Binaries, ClientReportsARefusedConnection) {
  const UnlistenedPort nobody_listening;
  const std::string port = std::to_string(nobody_listening.port());
  auto client = start_client(nobody_listening.port());

  EXPECT_EQ(client.wait_exit(), 1);
  const auto errors = stderr_until_eof(client);
  ASSERT_EQ(errors.size(), 1U) << joined(errors);
  EXPECT_NE(errors[0].find("127.0.0.1:" + port), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("Connection refused"), std::string::npos) << errors[0];
}

TEST(Binaries, SigintShutsDownGracefullyWithClientsConnected) {
  expect_graceful_shutdown_on(SIGINT);
}

TEST(Binaries, SigtermShutsDownGracefullyWithClientsConnected) {
  expect_graceful_shutdown_on(SIGTERM);
}

TEST(Binaries, ClientSaysSoAndExits1WhenTheServerCloses) {
  ServerProcess server;
  auto client = start_client(server.port());
  ASSERT_EQ(client.read_stdout_line(), kWelcome);

  server.process().send_signal(SIGTERM);
  EXPECT_EQ(server.process().wait_exit(), 0);
  EXPECT_TRUE(client.stdout_contains(kShutdownNotice));
  EXPECT_EQ(client.wait_exit(), 1);
  const auto errors = stderr_until_eof(client);
  // After the warning that a server without TLS is not encrypted.
  ASSERT_EQ(errors.size(), 2U) << joined(errors);
  EXPECT_NE(errors[0].find("not encrypted"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("server closed"), std::string::npos) << errors[1];
}

TEST(Binaries, PipedInputIsSentAcknowledgedAndEndsCleanly) {
  ServerProcess server;
  LineClient observer(server.port());
  ASSERT_TRUE(observer.read_until(kWelcome));
  ASSERT_TRUE(server.next_connected_port().has_value());  // the observer's own log line

  auto client = start_client(server.port());
  client.write_stdin("hi\n");
  client.close_stdin();  // as `echo hi | lochat` does

  EXPECT_EQ(client.read_stdout_line(), kWelcome);
  EXPECT_EQ(next_chat_line(client), kAck);
  EXPECT_EQ(client.wait_exit(), 0);
  const auto client_port = server.next_connected_port();
  ASSERT_TRUE(client_port.has_value());
  EXPECT_EQ(observer.read_chat_line(), relay_line(*client_port, "hi"));
}

TEST(Binaries, ServerRejectsAnUnknownFlag) {
  ChildProcess server({server_binary(), "--bogus"});
  const auto exit_code = server.wait_exit();
  ASSERT_TRUE(exit_code.has_value()) << "lochat-server ran despite --bogus";
  EXPECT_NE(*exit_code, 0);
  const auto errors = stderr_until_eof(server);
  EXPECT_NE(joined(errors).find("--bogus"), std::string::npos) << joined(errors);
}

TEST(Binaries, ServerRejectsNegativeCountsNamingTheFlag) {
  for (const std::string flag : {"--history", "--max-per-ip", "--presence-limit"}) {
    ChildProcess server({server_binary(), "--port", "0", flag, "-5"});
    const auto exit_code = server.wait_exit();
    ASSERT_TRUE(exit_code.has_value()) << "lochat-server ran despite " << flag << " -5";
    EXPECT_NE(*exit_code, 0) << flag;
    const auto errors = joined(stderr_until_eof(server));
    EXPECT_NE(errors.find(flag + ": must be 0 or more, not -5"), std::string::npos) << errors;
  }
}

TEST(Binaries, EveryBadFlagValueIsOneLineSayingWhatIsAllowed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{server_binary(), "--port", "70000"},
       "lochat-server: --port: must be a whole number from 0 to 65535, not 70000"},
      {{server_binary(), "--max-clients", "fifty"},
       "lochat-server: --max-clients: must be a whole number of 1 or more, not fifty"},
      {{server_binary(), "--log-level", "chatty"},
       "lochat-server: --log-level: must be one of debug, error, info, off, trace, warn, not "
       "chatty"},
      {{client_binary(), "--port", "70000"},
       "lochat: --port: must be a whole number from 1 to 65535, not 70000"},
      {{client_binary(), "--bell", "loud"},
       "lochat: --bell: must be one of all, mention, off, not loud"},
  };
  for (const auto& [argv, expected] : cases) {
    ChildProcess program(argv);
    EXPECT_EQ(program.wait_exit(), 2) << expected;
    const auto errors = stderr_until_eof(program);
    ASSERT_EQ(errors.size(), 1U) << joined(errors);
    EXPECT_EQ(errors.front(), expected);
  }
}

TEST(Binaries, HelpListsAllowedValuesAsWords) {
  for (const auto& binary : {server_binary(), client_binary()}) {
    ChildProcess program({binary, "--help"});
    EXPECT_EQ(program.wait_exit(), 0) << binary;
    std::string help;
    while (const auto line = program.read_stdout_line()) help += *line + "\n";
    EXPECT_EQ(help.find("->"), std::string::npos) << help;
    EXPECT_EQ(help.find("{"), std::string::npos) << help;
    EXPECT_EQ(help.find("17976931348623157"), std::string::npos) << help;
  }
  ChildProcess client({client_binary(), "--help"});
  std::string help;
  while (const auto line = client.read_stdout_line()) help += *line + "\n";
  EXPECT_NE(help.find("all|mention|off"), std::string::npos) << help;
}

// `name` stands in `text` as a whole flag ("--log" is not in "--log-level").
bool mentions_flag(const std::string& text, const std::string& name) {
  for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    const std::size_t end = at + name.size();
    if (end == text.size() ||
        (text[end] != '-' && std::islower(static_cast<unsigned char>(text[end])) == 0)) {
      return true;
    }
  }
  return false;
}

// The flags' one source is the programs' own --help (CLI11): every flag it
// lists must be in the man page and in README, so none can be left out.
TEST(Binaries, EveryFlagIsInTheManPageAndReadme) {
  const auto read_file = [](const std::string& path) {
    std::ifstream file(std::string(LOCHAT_SOURCE_DIR) + "/" + path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
  };
  const std::string readme = read_file("README.md");
  const std::vector<std::pair<std::string, std::string>> programs{
      {server_binary(), "packaging/man/lochat-server.1"},
      {client_binary(), "packaging/man/lochat.1"}};
  const std::regex flag(R"((^|\s|,)(--[a-z][a-z-]+))");
  for (const auto& [binary, man_path] : programs) {
    const std::string man = read_file(man_path);
    ASSERT_FALSE(man.empty()) << man_path;
    ChildProcess program({binary, "--help"});
    std::set<std::string> flags;
    while (const auto line = program.read_stdout_line()) {
      for (std::sregex_iterator it(line->begin(), line->end(), flag), end; it != end; ++it) {
        flags.insert((*it)[2]);
      }
    }
    ASSERT_GE(flags.size(), 5U) << binary;
    for (const auto& name : flags) {
      std::string in_man;
      for (const char c : name) in_man += c == '-' ? std::string("\\-") : std::string(1, c);
      EXPECT_NE(man.find(in_man), std::string::npos) << name << " is missing from " << man_path;
      EXPECT_TRUE(mentions_flag(readme, name)) << name << " is missing from README";
    }
  }
}

TEST(Binaries, ClientRejectsANonNumericPort) {
  ChildProcess client({client_binary(), "--port", "notanumber"});
  const auto exit_code = client.wait_exit();
  ASSERT_TRUE(exit_code.has_value()) << "lochat ran despite --port notanumber";
  EXPECT_NE(*exit_code, 0);
  // Named in the error, and rejected before any attempt to connect.
  const auto errors = joined(stderr_until_eof(client));
  EXPECT_NE(errors.find("notanumber"), std::string::npos) << errors;
  EXPECT_EQ(errors.find("cannot connect"), std::string::npos) << errors;
}

TEST(Binaries, BothBinariesPrintTheirVersion) {
  for (const auto& binary : {server_binary(), client_binary()}) {
    ChildProcess program({binary, "--version"});
    EXPECT_EQ(program.wait_exit(), 0) << binary;
    const auto line = program.read_stdout_line();
    ASSERT_TRUE(line.has_value()) << binary << " printed nothing";
    EXPECT_NE(line->find(LOCHAT_VERSION), std::string::npos) << binary << ": " << *line;
  }
}

}  // namespace
}  // namespace lochat::test
