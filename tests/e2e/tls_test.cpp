// The real binaries over TLS: the TLS port with lochat, openssl s_client,
// socat and ncat as clients; the certificate made on first start; --plain
// off; and the client's pinning of the server's certificate.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lochat/net/discovery.hpp"
#include "test_support.hpp"

namespace lochat::test {
namespace {

// A fresh directory per test for the server's state (its key and
// certificate) and the client's data (its pins), removed afterwards.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int made = 0;
    directory_ = std::filesystem::temp_directory_path() /
                 ("lochat-tls-" + std::to_string(::getpid()) + "-" + std::to_string(++made));
    std::filesystem::create_directories(directory_ / "data" / "lochat");
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  [[nodiscard]] std::string state() const { return (directory_ / "state").string(); }
  [[nodiscard]] std::string pins() const {
    return (directory_ / "data" / "lochat" / "known_servers").string();
  }
  std::unique_ptr<ServerProcess> tls_server(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--tls-port", "0", "--state-dir", state()});
    return std::make_unique<ServerProcess>(extra);
  }
  std::unique_ptr<ChildProcess> lochat(std::uint16_t port, std::uint16_t tls_port,
                                       std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{client_binary(),
                                  "--host",
                                  "127.0.0.1",
                                  "--port",
                                  std::to_string(port),
                                  "--tls-port",
                                  std::to_string(tls_port),
                                  "--name",
                                  "alice"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(
        argv, std::vector<std::string>{"XDG_DATA_HOME=" + (directory_ / "data").string()});
  }
  void pin(std::uint16_t tls_port, const std::string& fingerprint) {
    std::ofstream(pins()) << "127.0.0.1 " << tls_port << " " << fingerprint << "\n";
  }

  std::filesystem::path directory_;
};

// From Debian's socat and ncat (scripts/install-deps.sh).
constexpr const char* kSocat = "/usr/bin/socat";
constexpr const char* kNcat = "/usr/bin/ncat";

constexpr std::string_view kOtherFingerprint =
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:"
    "FF";

std::unique_ptr<LineClient> plain_client(std::uint16_t port) {
  auto client = std::make_unique<LineClient>(port);
  EXPECT_EQ(client->read_line(), "Welcome to LoChat!");
  EXPECT_TRUE(client->read_line());  // who is online
  return client;
}

// Reads chat lines until one ends with `text`.
bool hears(LineClient& client, std::string_view text) {
  while (const auto line = client.read_chat_line()) {
    if (line->ends_with(text)) return true;
  }
  return false;
}

// A TLS client nobody here wrote talks with a plain client through the server.
void expect_chat_through(const std::vector<std::string>& tool, const ServerProcess& server) {
  auto plain = plain_client(server.port());
  ChildProcess client(tool);
  ASSERT_TRUE(client.stdout_contains("Welcome to LoChat!"));
  client.write_stdin("hello through TLS\n");
  EXPECT_TRUE(hears(*plain, ": hello through TLS"));
  plain->send_line("hello back in clear");
  EXPECT_TRUE(client.stdout_contains("hello back in clear"));
}

TEST_F(TlsTest, OpensslSClientChatsWithAPlainClient) {
  const auto server = tls_server();
  expect_chat_through({kOpenssl, "s_client", "-quiet", "-connect",
                       "127.0.0.1:" + std::to_string(server->tls_port())},
                      *server);
}

TEST_F(TlsTest, SocatChatsWithAPlainClient) {
  const auto server = tls_server();
  expect_chat_through(
      {kSocat, "-", "OPENSSL:127.0.0.1:" + std::to_string(server->tls_port()) + ",verify=0"},
      *server);
}

TEST_F(TlsTest, NcatChatsWithAPlainClient) {
  if (::access(kNcat, X_OK) != 0) GTEST_SKIP() << "ncat is not installed";
  const auto server = tls_server();
  expect_chat_through({kNcat, "--ssl", "127.0.0.1", std::to_string(server->tls_port())}, *server);
}

TEST_F(TlsTest, TlsOneDotOneIsRefusedWhereOneDotTwoIsServed) {
  const auto server = tls_server();
  const std::string target = "127.0.0.1:" + std::to_string(server->tls_port());
  // SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all: the refusal must be the server's.
  ChildProcess old_client(
      {kOpenssl, "s_client", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-connect", target});
  EXPECT_TRUE(old_client.stderr_contains("alert protocol version"));
  EXPECT_NE(old_client.wait_exit(), 0);
  ChildProcess client({kOpenssl, "s_client", "-quiet", "-tls1_2", "-connect", target});
  EXPECT_TRUE(client.stdout_contains("Welcome to LoChat!"));
}

TEST_F(TlsTest, WithPlainOffThePlainPortOnlyPointsToTheTlsPort) {
  const auto server = tls_server({"--plain", "off"});
  LineClient client(server->port());
  EXPECT_EQ(client.read_line(),
            "Error: this server only speaks TLS, on port " + std::to_string(server->tls_port()));
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(TlsTest, TheServerSeesTheFingerprintOfAKeyAClientPresentsAndServesClientsWithoutOne) {
  const auto server = tls_server();
  const auto key = (directory_ / "client-key.pem").string();
  const auto certificate = (directory_ / "client-cert.pem").string();
  ChildProcess make_key({kOpenssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=bob", "-days", "1",
                         "-keyout", key, "-out", certificate});
  ASSERT_EQ(make_key.wait_exit(), 0);
  ChildProcess fingerprint(
      {kOpenssl, "x509", "-fingerprint", "-sha256", "-noout", "-in", certificate});
  const auto printed = fingerprint.read_stdout_line();
  ASSERT_TRUE(printed && printed->starts_with("sha256 Fingerprint="));
  const std::string target = "127.0.0.1:" + std::to_string(server->tls_port());
  ChildProcess with_key(
      {kOpenssl, "s_client", "-quiet", "-connect", target, "-cert", certificate, "-key", key});
  ASSERT_TRUE(with_key.stdout_contains("Welcome to LoChat!"));
  EXPECT_EQ(server->read_logged("presents the key ([0-9A-F:]+)"), printed->substr(19));
  ChildProcess without_key({kOpenssl, "s_client", "-quiet", "-connect", target});
  EXPECT_TRUE(without_key.stdout_contains("Welcome to LoChat!"));
}

TEST_F(TlsTest, TheCertificateIsMadeOnFirstStartWithAPrivateKeyAndKeptForTheNext) {
  std::string first_fingerprint;
  {
    const auto first = tls_server();
    first_fingerprint = first->fingerprint();
    first->process().send_signal(SIGTERM);
    ASSERT_EQ(first->process().wait_exit(), 0);
  }
  struct stat key {};
  ASSERT_EQ(::stat((state() + "/key.pem").c_str(), &key), 0);
  EXPECT_EQ(key.st_mode & 0777, 0600U);
  ChildProcess openssl(
      {kOpenssl, "x509", "-fingerprint", "-sha256", "-noout", "-in", state() + "/cert.pem"});
  EXPECT_EQ(openssl.read_stdout_line(), "sha256 Fingerprint=" + first_fingerprint);
  const auto second = tls_server();
  EXPECT_EQ(second->fingerprint(), first_fingerprint);
}

TEST_F(TlsTest, DiscoveryRepliesCarryTheTlsPortAndTheFingerprint) {
  const auto server = tls_server();
  const FileDescriptor socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(server->port());  // discovery answers on the TCP port's number
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(socket.get(), discovery::kProbe.data(), discovery::kProbe.size(), 0,
           reinterpret_cast<const sockaddr*>(&target), sizeof target);
  set_io_timeouts(socket, kPatience);
  std::array<char, discovery::kMaxDatagram> reply{};
  const auto received = ::recv(socket.get(), reply.data(), reply.size(), 0);
  ASSERT_GT(received, 0);
  const auto info =
      discovery::parse_reply(std::string_view(reply.data(), static_cast<std::size_t>(received)));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->tls_port, server->tls_port());
  EXPECT_EQ(info->fingerprint, server->fingerprint());
}

TEST_F(TlsTest, LochatChatsOverTlsAndPinsTheCertificateOnFirstSight) {
  const auto server = tls_server();
  auto plain = plain_client(server->port());
  const auto client = lochat(server->port(), server->tls_port());
  EXPECT_TRUE(client->stderr_contains(server->fingerprint()));
  ASSERT_TRUE(client->stdout_contains("You are now known as alice"));
  client->write_stdin("over TLS\n");
  EXPECT_TRUE(hears(*plain, "From alice: over TLS"));
  plain->send_line("back in clear");
  EXPECT_TRUE(client->stdout_contains("back in clear"));
  std::ifstream file(pins());
  std::string line;
  std::getline(file, line);
  EXPECT_EQ(line, "127.0.0.1 " + std::to_string(server->tls_port()) + " " + server->fingerprint());
}

TEST_F(TlsTest, LochatRefusesAChangedCertificateAndSaysWhichLineToDelete) {
  const auto server = tls_server();
  pin(server->tls_port(), std::string(kOtherFingerprint));
  const auto client = lochat(server->port(), server->tls_port());
  EXPECT_TRUE(client->stderr_contains("is not the one pinned for it"));
  EXPECT_TRUE(client->stderr_contains("presented: " + server->fingerprint()));
  EXPECT_TRUE(client->stderr_contains("delete line 1 of " + pins()));
  EXPECT_EQ(client->wait_exit(), 1);
}

// A TCP socket bound to a port the kernel picks, never listening: connecting there is refused.
struct ClosedPort {
  FileDescriptor socket{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  ClosedPort() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
  }
  [[nodiscard]] std::uint16_t port() const { return local_port(socket); }
};

TEST_F(TlsTest, LochatNeverFallsBackToClearForAPinnedServer) {
  const ServerProcess server;  // no TLS
  const ClosedPort no_tls;
  pin(no_tls.port(), std::string(kOtherFingerprint));
  const auto client = lochat(server.port(), no_tls.port());
  EXPECT_TRUE(client->stderr_contains("Not chatting in clear"));
  EXPECT_EQ(client->wait_exit(), 1);

  const auto by_hand = lochat(server.port(), no_tls.port(), {"--plain"});
  EXPECT_TRUE(by_hand->stderr_contains("this chat is not encrypted"));
  EXPECT_TRUE(by_hand->stdout_contains("You are now known as alice"));
}

TEST_F(TlsTest, LochatWarnsWhenAServerNeverPinnedOffersNoTls) {
  const ServerProcess server;  // no TLS
  const ClosedPort no_tls;
  const auto client = lochat(server.port(), no_tls.port());
  EXPECT_TRUE(client->stderr_contains("this chat is not encrypted"));
  EXPECT_TRUE(client->stdout_contains("You are now known as alice"));
}

TEST_F(TlsTest, SilentTlsClientsHoldNobodyUpAndAreClosedAfterAFewSeconds) {
  const auto server = tls_server();
  std::vector<std::unique_ptr<LineClient>> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(std::make_unique<LineClient>(server->tls_port()));
  const auto started = std::chrono::steady_clock::now();
  expect_chat_through({kOpenssl, "s_client", "-quiet", "-connect",
                       "127.0.0.1:" + std::to_string(server->tls_port())},
                      *server);
  // Served while the silent ones still wait out their handshake (5 s).
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  for (auto& client : silent) EXPECT_TRUE(client->wait_closed());
}

TEST_F(TlsTest, AHandshakeLeftUnfinishedDoesNotDelayShutdown) {
  const auto server = tls_server();
  LineClient silent(server->tls_port());
  // Served after the silent one was accepted, so that one's thread is in its handshake by now.
  ChildProcess client({kOpenssl, "s_client", "-quiet", "-connect",
                       "127.0.0.1:" + std::to_string(server->tls_port())});
  ASSERT_TRUE(client.stdout_contains("Welcome to LoChat!"));
  const auto stopping = std::chrono::steady_clock::now();
  server->process().send_signal(SIGTERM);
  EXPECT_EQ(server->process().wait_exit(), 0);
  // The handshake deadline is 5 s; a clean shutdown takes well under 2 s (Binaries tests).
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 2s);
}

// Forwards one connection to `port`, keeping a copy of every byte either way:
// what someone capturing the LAN would see.
class TappedRelay {
 public:
  explicit TappedRelay(std::uint16_t port)
      : listener_(listen_tcp("127.0.0.1", 0, 1)), thread_([this, port] { relay(port); }) {}
  ~TappedRelay() {
    stopping_.store(true);
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return local_port(listener_); }
  std::string captured() {
    std::lock_guard lock(mutex_);
    return captured_;
  }

 private:
  void relay(std::uint16_t port) {
    pollfd incoming{listener_.get(), POLLIN, 0};
    while (!stopping_.load() && ::poll(&incoming, 1, 100) == 0) {
    }
    if (stopping_.load()) return;
    const FileDescriptor client(::accept(listener_.get(), nullptr, nullptr));
    const FileDescriptor server = connect_tcp("127.0.0.1", port);
    std::array<pollfd, 2> ends{{{client.get(), POLLIN, 0}, {server.get(), POLLIN, 0}}};
    std::array<char, 16 * 1024> buffer{};
    while (!stopping_.load()) {
      if (::poll(ends.data(), ends.size(), 100) <= 0) continue;
      for (std::size_t from = 0; from < ends.size(); ++from) {
        if (ends[from].revents == 0) continue;
        const auto got = ::recv(ends[from].fd, buffer.data(), buffer.size(), 0);
        if (got <= 0) return;
        const auto bytes = static_cast<std::size_t>(got);
        ::send(ends[1 - from].fd, buffer.data(), bytes, MSG_NOSIGNAL);
        std::lock_guard lock(mutex_);
        captured_.append(buffer.data(), bytes);
      }
    }
  }

  FileDescriptor listener_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // guards captured_, appended by the relay's thread
  std::string captured_;
  std::thread thread_;
};

TEST_F(TlsTest, WhatCrossesTheNetworkHoldsNoneOfTheChatText) {
  const auto server = tls_server();
  TappedRelay tap(server->tls_port());
  auto plain = plain_client(server->port());
  const auto client = lochat(server->port(), tap.port());
  ASSERT_TRUE(client->stdout_contains("You are now known as alice"));
  client->write_stdin("a secret said over TLS\n");
  EXPECT_TRUE(hears(*plain, "From alice: a secret said over TLS"));
  plain->send_line("an answer sent in clear to the server");
  EXPECT_TRUE(client->stdout_contains("an answer sent in clear to the server"));
  const auto captured = tap.captured();
  EXPECT_GT(captured.size(), 1000U);  // the handshake and the records went through it
  EXPECT_EQ(captured.find("a secret said"), std::string::npos);
  EXPECT_EQ(captured.find("an answer sent"), std::string::npos);
  EXPECT_EQ(captured.find("alice"), std::string::npos);
}

}  // namespace
}  // namespace lochat::test
