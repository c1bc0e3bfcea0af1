// The real lochat-server started under a small descriptor limit (prlimit): it
// raises its soft limit to the hard one, and when accept() runs out of
// descriptors it logs, backs off and keeps serving. Traffic: 127.0.0.1 only.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace lochat::test {
namespace {

using namespace std::chrono_literals;

constexpr int kSoftLimit = 16;
constexpr int kHardLimit = 48;

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

TEST(DescriptorLimit, ServerRaisesItsLimitAndKeepsServingWhenOutOfDescriptors) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan checks each virtual call's vptr by probing memory through a pipe; a
  // process out of descriptors cannot make one, so the check fails spuriously.
  GTEST_SKIP() << "needs free descriptors in an ASan+UBSan build; runs in the others";
#endif
  const std::string limits =
      "--nofile=" + std::to_string(kSoftLimit) + ":" + std::to_string(kHardLimit);
  ServerProcess server({"--no-discovery"}, {"/usr/bin/prlimit", limits, "--"});
  EXPECT_EQ(open_files_soft_limit(server.process().pid()), kHardLimit);

  // Connect until one is not greeted: the kernel queues it, accept() fails.
  std::vector<std::unique_ptr<LineClient>> greeted;
  std::unique_ptr<LineClient> waiting;
  for (int i = 0; i < 2 * kHardLimit && !waiting; ++i) {
    auto client = std::make_unique<LineClient>(server.port());
    if (client->read_line(2s) == "Welcome to LoChat!") {
      greeted.push_back(std::move(client));
    } else {
      waiting = std::move(client);
    }
  }
  ASSERT_TRUE(waiting) << "the descriptor limit was never reached";
  std::cout << "[ figures  ] " << greeted.size() << " clients greeted under a limit of "
            << kHardLimit << " descriptors\n";
  EXPECT_GT(greeted.size(), static_cast<std::size_t>(kSoftLimit)) << "the limit was not raised";
  EXPECT_TRUE(server.process().stderr_contains("Cannot accept more connections"));

  // Those already connected are served as before...
  greeted.front()->send_line("still here");
  EXPECT_EQ(greeted.front()->read_chat_line(), "Message Received");
  // ...and once some leave, the one that waited is greeted.
  greeted.resize(greeted.size() - 3);
  EXPECT_TRUE(waiting->read_until("Welcome to LoChat!"));
}

}  // namespace
}  // namespace lochat::test
