// The TLS port's edges, with the real binaries: lochat refused on the TLS
// port shows the server's line, and a line answered in clear there marked as
// such, pinned server or not; a storm of failed handshakes is logged in a
// few lines; a key file alone, or one others can read, is refused or warned
// about at start; a key update the server cannot answer yet does not make it spin.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace lochat::test {
namespace {

// A server that answers whoever connects first with `bytes` in clear and
// closes without reading (as an older lochat-server refused newcomers at its
// TLS port); its thread gives up if nobody comes within kPatience.
class ClearAnswerer {
 public:
  explicit ClearAnswerer(std::string bytes)
      : bytes_(std::move(bytes)), thread_([this] { answer(); }) {}
  ~ClearAnswerer() { thread_.join(); }
  ClearAnswerer(const ClearAnswerer&) = delete;
  ClearAnswerer& operator=(const ClearAnswerer&) = delete;
  [[nodiscard]] std::uint16_t port() const { return local_port(listener_); }

 private:
  void answer() {
    pollfd ready{listener_.get(), POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(kPatience.count())) != 1) return;
    const FileDescriptor socket(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    send_all(socket, bytes_, std::chrono::steady_clock::now() + kPatience);
  }

  const FileDescriptor listener_ = listen_tcp("127.0.0.1", 0, 8);
  const std::string bytes_;
  std::thread thread_;  // last: started once the rest is made
};

// True if anyone has connected to `listener` (it never accepts, so they wait there).
bool anyone_connected(const FileDescriptor& listener) {
  pollfd ready{listener.get(), POLLIN, 0};
  return ::poll(&ready, 1, 0) == 1;
}

// A fresh directory per test for the server's state (its key and
// certificate) and the client's data (its pins).
class TlsEdges : public ::testing::Test {
 protected:
  [[nodiscard]] std::string state() const { return (scratch_.path() / "state").string(); }
  [[nodiscard]] std::string key() const { return state() + "/key.pem"; }
  std::unique_ptr<ServerProcess> tls_server(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--tls-port", "0", "--state-dir", state()});
    return std::make_unique<ServerProcess>(extra);
  }
  // The server binary itself, for what it says before it listens.
  [[nodiscard]] std::unique_ptr<ChildProcess> bare_server() const {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{server_binary(), "--host", "127.0.0.1", "--port", "0",
                                 "--tls-port", "0", "--state-dir", state()});
  }
  // lochat as a user starts it, pins kept in this test's directory.
  [[nodiscard]] std::unique_ptr<ChildProcess> lochat(std::uint16_t port,
                                                     std::uint16_t tls_port) const {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{client_binary(), "--host", "127.0.0.1", "--port",
                                 std::to_string(port), "--tls-port", std::to_string(tls_port),
                                 "--name", "alice"},
        std::vector<std::string>{"XDG_DATA_HOME=" + (scratch_.path() / "data").string()});
  }
  [[nodiscard]] std::filesystem::path pins() const {
    return scratch_.path() / "data" / "lochat" / "known_servers";
  }
  // Starts and stops a server once, so the state directory holds its pair.
  void make_the_pair() {
    const auto first = tls_server();
    first->process().send_signal(SIGTERM);
    ASSERT_EQ(first->process().wait_exit(), 0);
  }

  ScratchDirectory scratch_{"lochat-tls-edges"};
};

TEST_F(TlsEdges, LochatRefusedOnTheTlsPortShowsTheServersLine) {
  const auto server = tls_server({"--max-clients", "1"});
  LineClient holder(server->port());
  ASSERT_EQ(holder.read_line(), "Welcome to LoChat!");
  const auto client = lochat(server->port(), server->tls_port());
  // On stdout, as every line from the server; not "no TLS handshake" on stderr.
  EXPECT_TRUE(client->stdout_contains("Error: server full (1 clients), try again later"));
  EXPECT_EQ(client->wait_exit(), 1);
}

constexpr std::string_view kInClear =
    "; it answered in clear (not encrypted, so anyone on the network could have written it):";

TEST_F(TlsEdges, ALineAnsweredInClearOnTheTlsPortIsShownAsUnencryptedAndNothingIsPinned) {
  const ClearAnswerer old_server("Error: server full (3 clients)\n");
  const auto plain = listen_tcp("127.0.0.1", 0, 8);
  const auto client = lochat(local_port(plain), old_server.port());
  const std::string target = "127.0.0.1:" + std::to_string(old_server.port());
  EXPECT_TRUE(
      client->stderr_contains("lochat: no TLS handshake with " + target + std::string(kInClear)));
  EXPECT_EQ(client->read_stderr_line(), std::string("lochat:   Error: server full (3 clients)"));
  EXPECT_EQ(client->wait_exit(), 1);
  EXPECT_FALSE(std::filesystem::exists(pins()));  // a line in clear proves no key
  EXPECT_FALSE(anyone_connected(plain));          // nor does it make lochat chat in clear
}

TEST_F(TlsEdges, APinnedServerAnsweringInClearIsShownAndNeverChattedWithInClear) {
  const ClearAnswerer old_server("Error: server full (3 clients)\r\n");
  const auto plain = listen_tcp("127.0.0.1", 0, 8);
  std::filesystem::create_directories(pins().parent_path());
  const std::string pin = "127.0.0.1 " + std::to_string(old_server.port()) + " AB:CD:EF\n";
  std::ofstream(pins()) << pin;
  const auto client = lochat(local_port(plain), old_server.port());
  EXPECT_TRUE(client->stderr_contains(std::string(kInClear)));
  EXPECT_EQ(client->read_stderr_line(), std::string("lochat:   Error: server full (3 clients)"));
  EXPECT_EQ(client->wait_exit(), 1);
  EXPECT_FALSE(anyone_connected(plain));
  std::ifstream kept(pins());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), pin);
}

TEST_F(TlsEdges, BinaryAnsweredInClearOnTheTlsPortIsNotShown) {
  const ClearAnswerer garbage(std::string("\x7f\x01\x02\x1b[2J\xff\xfe\n", 10));
  const auto plain = listen_tcp("127.0.0.1", 0, 8);
  const auto client = lochat(local_port(plain), garbage.port());
  auto said = client->read_stderr_line();
  while (said && !said->starts_with("lochat: no TLS handshake")) said = client->read_stderr_line();
  EXPECT_EQ(said, "lochat: no TLS handshake with 127.0.0.1:" + std::to_string(garbage.port()));
  EXPECT_EQ(client->wait_exit(), 1);
}

TEST_F(TlsEdges, AStormOfFailedHandshakesIsLoggedInAFewLines) {
  const auto server = tls_server();
  constexpr int kGarbageConnections = 200;
  for (int i = 0; i < kGarbageConnections; ++i) {
    LineClient garbage(server->tls_port());
    garbage.send_line("not a handshake");
    ASSERT_TRUE(garbage.wait_closed());
  }
  // Logged after every one of them was turned away: the end of the storm.
  LineClient marker(server->port());
  int logged = 0;
  while (const auto line = server->process().read_stderr_line()) {
    if (line->find("No TLS handshake") != std::string::npos) ++logged;
    if (line->find("Connected to: 127.0.0.1, " + std::to_string(marker.local_endpoint().port)) !=
        std::string::npos) {
      break;
    }
  }
  EXPECT_GE(logged, 1);
  EXPECT_LE(logged, 2);  // once at the start, at most once more if 10 s went by
}

TEST_F(TlsEdges, AKeyFileMissingBesideItsCertificateIsRefusedWithWhatToDo) {
  make_the_pair();
  std::filesystem::remove(key());
  const auto server = bare_server();
  EXPECT_TRUE(server->stderr_contains("the TLS key " + key() + " is missing, but " + state() +
                                      "/cert.pem is there: restore it"));
  EXPECT_EQ(server->wait_exit(), 1);
  EXPECT_FALSE(std::filesystem::exists(key()));  // no new identity made behind anyone's back
}

TEST_F(TlsEdges, AKeyEveryUserCanReadIsRefused) {
  make_the_pair();
  std::filesystem::permissions(key(), std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  const auto server = bare_server();
  EXPECT_TRUE(
      server->stderr_contains("can be read or changed by every user of this machine, any "
                              "of whom could then pretend to be this server: make it "
                              "private (chmod 600 " +
                              key() + ")"));
  EXPECT_EQ(server->wait_exit(), 1);
}

TEST_F(TlsEdges, AKeyItsGroupCanReadIsUsedWithAWarning) {
  make_the_pair();
  std::filesystem::permissions(key(), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  const auto server = bare_server();
  EXPECT_TRUE(
      server->stderr_contains("The TLS key " + key() + " can be read or changed by its group"));
  EXPECT_TRUE(server->stderr_contains("Listening for TLS on 127.0.0.1:"));
}

// The process's CPU time so far (user and system), from /proc/PID/stat.
std::chrono::duration<double> cpu_time(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int skipped = 0; skipped < 11; ++skipped) fields >> field;  // state .. cmajflt
  double user = 0;
  double system = 0;
  fields >> user >> system;
  return std::chrono::duration<double>((user + system) /
                                       static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

// Bytes the server's end of the connection from local port `client_port`
// holds unsent (its tx_queue in /proc/net/tcp).
std::size_t unsent_to(std::uint16_t client_port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the heading
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (std::stoul(remote.substr(remote.find(':') + 1), nullptr, 16) != client_port) continue;
    return std::stoul(queues.substr(0, queues.find(':')), nullptr, 16);
  }
  return 0;
}

TEST_F(TlsEdges, AKeyUpdateTheServerCannotAnswerYetDoesNotMakeItSpin) {
  const auto server = tls_server({"--rate", "0"});
  LineClient talker(server->port());
  ASSERT_TRUE(talker.read_until("Welcome to LoChat!"));
  ASSERT_EQ(server->next_connected_port(), talker.local_endpoint().port);
  // A TLS 1.3 client that reads nothing for now.
  const FileDescriptor socket = connect_stalling(server->tls_port());
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()),
                                                                  SSL_CTX_free);
  SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION);
  const std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context.get()), SSL_free);
  SSL_set_fd(ssl.get(), socket.get());
  ASSERT_EQ(SSL_connect(ssl.get()), 1);
  const auto client_port = local_port(socket);
  // Logged once its session has joined the room: the talker's lines are its too.
  ASSERT_EQ(server->next_connected_port(), client_port);
  // The talker's lines fill the server's socket to it, and more wait queued.
  const std::string long_line(1000, 'x');
  for (int i = 0; i < 300; ++i) talker.send_line(long_line);
  ASSERT_TRUE(eventually([&] { return unsent_to(client_port) >= 64 * 1024; }));
  // Its answer to this key update cannot be sent until the client reads;
  // the line after it waits unread meanwhile.
  ASSERT_EQ(SSL_key_update(ssl.get(), SSL_KEY_UPDATE_REQUESTED), 1);
  const std::string_view after = "after the key update\n";
  ASSERT_EQ(SSL_write(ssl.get(), after.data(), static_cast<int>(after.size())),
            static_cast<int>(after.size()));
  const auto cpu_before = cpu_time(server->process().pid());
  const auto started = std::chrono::steady_clock::now();
  // A measurement, not a wait for an event: a spinning thread would burn this second.
  std::this_thread::sleep_for(1s);
  const auto cpu_used = cpu_time(server->process().pid()) - cpu_before;
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(cpu_used.count(), 0.25 * std::chrono::duration<double>(elapsed).count());
  // Once the client reads, the key update is answered and its line relayed.
  set_io_timeouts(socket, 100ms);
  std::atomic<bool> heard{false};
  std::thread reader([&] {
    std::array<char, 16 * 1024> buffer{};
    while (!heard.load()) SSL_read(ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
  });
  EXPECT_TRUE(talker.read_until("From 127.0.0.1:" + std::to_string(client_port) +
                                ": after the key update"));
  heard.store(true);
  reader.join();
}

}  // namespace
}  // namespace lochat::test
