// The real lochat-server started under small limits (prlimit): it raises its
// descriptor limit to the hard one; out of descriptors or threads it refuses
// newcomers with one line each (in clear on the TLS port too, which lochat
// shows as such), logs one line per storm and keeps serving the connected.
// Traffic: 127.0.0.1 only.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace lochat::test {
namespace {

using namespace std::chrono_literals;

constexpr int kSoftLimit = 16;
constexpr int kHardLimit = 48;
constexpr std::string_view kRefusal = "Error: server cannot take more clients now, try again later";

std::string nofile_limits() {
  return "--nofile=" + std::to_string(kSoftLimit) + ":" + std::to_string(kHardLimit);
}

// The soft "Max open files" limit of a process, from /proc/PID/limits.
int open_files_soft_limit(pid_t pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  std::string row;
  while (std::getline(limits, row)) {
    if (row.starts_with("Max open files")) {
      std::istringstream fields(row.substr(std::string("Max open files").size()));
      int soft = 0;
      fields >> soft;
      return soft;
    }
  }
  return -1;
}

// Newcomers connect until one is not greeted (at most `attempts`): those
// greeted, and the first line of the one that was not, once it is closed.
struct Crowd {
  std::vector<std::unique_ptr<LineClient>> greeted;
  std::optional<std::string> refusal;
};
Crowd connect_until_refused(std::uint16_t port, int attempts) {
  Crowd crowd;
  for (int i = 0; i < attempts && !crowd.refusal; ++i) {
    auto client = std::make_unique<LineClient>(port);
    auto first = client->read_line(2s);
    if (first == "Welcome to LoChat!") {
      crowd.greeted.push_back(std::move(client));
    } else {
      crowd.refusal = first.value_or("(nothing)");
      EXPECT_TRUE(client->wait_closed());
    }
  }
  return crowd;
}

TEST(DescriptorLimit, ServerRaisesItsLimitAndKeepsServingWhenOutOfDescriptors) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan checks each virtual call's vptr by probing memory through a pipe; a
  // process out of descriptors cannot make one, so the check fails spuriously.
  GTEST_SKIP() << "needs free descriptors in an ASan+UBSan build; runs in the others";
#endif
  ServerProcess server({"--no-discovery"}, {"/usr/bin/prlimit", nofile_limits(), "--"});
  EXPECT_EQ(open_files_soft_limit(server.process().pid()), kHardLimit);

  // Out of descriptors, a newcomer is refused in one line.
  auto [greeted, refusal] = connect_until_refused(server.port(), 2 * kHardLimit);
  ASSERT_TRUE(refusal) << "the descriptor limit was never reached";
  EXPECT_EQ(*refusal, kRefusal);
  // Every later newcomer too: the spare descriptor is taken back each time
  // (an adversarial run found it lost after the first refusal).
  for (int i = 0; i < 5; ++i) {
    LineClient newcomer(server.port());
    EXPECT_EQ(newcomer.read_line(2s), kRefusal) << "newcomer " << i;
  }
  std::cout << "[ figures  ] " << greeted.size() << " clients greeted under a limit of "
            << kHardLimit << " descriptors\n";
  EXPECT_GT(greeted.size(), static_cast<std::size_t>(kSoftLimit)) << "the limit was not raised";
  EXPECT_TRUE(server.process().stderr_contains("Cannot accept more connections"));

  // Those already connected are served as before...
  greeted.front()->send_line("still here");
  EXPECT_EQ(greeted.front()->read_chat_line(), "Message Received");
  // ...and once some leave, newcomers are greeted again.
  greeted.resize(greeted.size() - 3);
  EXPECT_TRUE(eventually([&] {
    LineClient newcomer(server.port());
    return newcomer.read_line(2s) == "Welcome to LoChat!";
  }));
}

TEST(DescriptorLimit, OutOfDescriptorsTheTlsPortRefusesInClearAndLochatShowsItAsUnencrypted) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "needs free descriptors in an ASan+UBSan build; runs in the others";
#endif
  const ScratchDirectory scratch("lochat-descriptors");
  ServerProcess server(
      {"--no-discovery", "--tls-port", "0", "--state-dir", (scratch.path() / "state").string()},
      {"/usr/bin/prlimit", nofile_limits(), "--"});
  auto [greeted, refusal] = connect_until_refused(server.port(), 2 * kHardLimit);
  ASSERT_EQ(refusal, kRefusal) << "the descriptor limit was never reached";

  // Someone at nc on the TLS port reads it as it is...
  LineClient at_nc(server.tls_port());
  EXPECT_EQ(at_nc.read_line(2s), kRefusal);
  EXPECT_TRUE(at_nc.wait_closed());
  // ...and lochat shows it, marked as having come unencrypted, and pins nothing.
  const auto data = scratch.path() / "data";
  ChildProcess client(
      {client_binary(), "--host", "127.0.0.1", "--port", std::to_string(server.port()),
       "--tls-port", std::to_string(server.tls_port()), "--name", "alice"},
      {"XDG_DATA_HOME=" + data.string()});
  EXPECT_TRUE(client.stderr_contains("it answered in clear (not encrypted"));
  EXPECT_EQ(client.read_stderr_line(), "lochat:   " + std::string(kRefusal));
  EXPECT_EQ(client.wait_exit(), 1);
  EXPECT_FALSE(std::filesystem::exists(data / "lochat" / "known_servers"));
  // The spare came back each time: the connected are served, newcomers refused.
  greeted.front()->send_line("still here");
  EXPECT_EQ(greeted.front()->read_chat_line(), "Message Received");
  LineClient newcomer(server.port());
  EXPECT_EQ(newcomer.read_line(2s), kRefusal);
}

// Lines containing "Refused" the server logs until it has been quiet for `quiet`.
int refusal_log_lines(ChildProcess& server, std::chrono::milliseconds quiet) {
  int lines = 0;
  while (const auto line = server.read_stderr_line(quiet)) {
    if (line->find("Refused") != std::string::npos) ++lines;
  }
  return lines;
}

TEST(ResourceLimit, OutOfThreadsNewcomersAreRefusedInOneLineAndTheLogStaysQuiet) {
#if defined(LOCHAT_SANITIZED_BUILD)
  GTEST_SKIP() << "sanitizers reserve terabytes of address space; runs in the plain build";
#endif
  // 300 MB of address space holds a few 8 MB thread stacks, then no more.
  ServerProcess server({"--no-discovery"}, {"/usr/bin/prlimit", "--as=300000000", "--"});
  auto [greeted, refusal] = connect_until_refused(server.port(), 200);
  ASSERT_TRUE(refusal) << "no thread was ever refused";
  EXPECT_EQ(*refusal, kRefusal);
  // A storm of ten more: each hears why, the log says so once.
  for (int i = 0; i < 10; ++i) {
    LineClient newcomer(server.port());
    EXPECT_EQ(newcomer.read_line(2s), kRefusal);
  }
  EXPECT_EQ(refusal_log_lines(server.process(), 500ms), 1);
  greeted.front()->send_line("still here");
  EXPECT_EQ(greeted.front()->read_chat_line(), "Message Received");
}

}  // namespace
}  // namespace lochat::test
