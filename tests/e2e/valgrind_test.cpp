// One whole session of the real server under valgrind memcheck: no invalid
// access, no uninitialised use, no definite or indirect leak.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "test_support.hpp"

namespace lochat::test {
namespace {

TEST(Valgrind, ServerSessionIsMemcheckClean) {
#if defined(LOCHAT_SANITIZED_BUILD)
  GTEST_SKIP() << "valgrind runs in the uninstrumented (default) build only";
#endif
  if (::access("/usr/bin/valgrind", X_OK) != 0) {
    GTEST_SKIP() << "valgrind is not installed (scripts/install-deps.sh installs it)";
  }
  // One TCP session is what is checked here; without the web listener the
  // start under valgrind is some 1.5 s shorter, within the patience on a loaded machine.
  ServerProcess server({"--web-port", "0"},
                       {"/usr/bin/valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
                        "--errors-for-leak-kinds=definite,indirect"});
  LineClient alice(server.port());
  LineClient bob(server.port());
  ASSERT_TRUE(alice.read_until("Welcome to LoChat!"));
  ASSERT_TRUE(bob.read_until("Welcome to LoChat!"));
  alice.send_line("/nick alice");
  ASSERT_TRUE(alice.read_until("*** You are now known as alice"));
  alice.send_line("hello under valgrind");
  EXPECT_EQ(bob.read_chat_line(), "From alice: hello under valgrind");
  bob.send_line("/msg alice psst");
  EXPECT_EQ(alice.read_chat_line(), "Message Received");
  EXPECT_EQ(alice.read_chat_line(), "Private from " + bob.local_endpoint().to_string() + ": psst");
  bob.send_raw(std::string(5000, 'x') + "\n\xff\x1b[2J\n");
  bob.close();
  server.process().send_signal(SIGINT);
  EXPECT_EQ(server.process().wait_exit(std::chrono::seconds(30)), 0)
      << "valgrind reports errors with exit code 99";
}

}  // namespace
}  // namespace lochat::test
