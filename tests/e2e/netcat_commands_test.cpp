// A person with plain `nc` can use every command by hand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "test_support.hpp"

namespace lochat::test {
namespace {

TEST(NetcatCommands, EveryCommandWorksThroughNc) {
  if (::access("/usr/bin/nc", X_OK) != 0) {
    GTEST_SKIP() << "nc is not installed (scripts/install-deps.sh installs netcat-openbsd)";
  }
  ServerProcess server;
  LineClient bob(server.port());
  bob.send_line("/nick bob");
  ASSERT_TRUE(bob.read_until("*** You are now known as bob"));
  ChildProcess nc({"/usr/bin/nc", "127.0.0.1", std::to_string(server.port())});
  ASSERT_TRUE(nc.stdout_contains("Welcome to LoChat!"));

  nc.write_stdin("/nick nora\n");
  EXPECT_TRUE(nc.stdout_contains("*** You are now known as nora"));
  EXPECT_TRUE(bob.read_until("*** nora joined (2 online)"));

  nc.write_stdin("/who\n");
  EXPECT_TRUE(nc.stdout_contains("*** Online (2): bob ("));

  nc.write_stdin("/msg bob just between us\n");
  EXPECT_TRUE(bob.read_until("Private from nora: just between us"));

  nc.write_stdin("/me waves\n");
  EXPECT_TRUE(bob.read_until("* nora waves"));

  nc.write_stdin("//slash is literal\n");
  EXPECT_TRUE(bob.read_until("From nora: /slash is literal"));

  nc.write_stdin("/help\n");
  EXPECT_TRUE(nc.stdout_contains("*** /quit [reason] - leave the chat"));

  nc.write_stdin("/bogus\n");
  EXPECT_TRUE(nc.stdout_contains("Error: unknown command /bogus (try /help)"));

  nc.write_stdin("/nick bob\n");
  EXPECT_TRUE(nc.stdout_contains("Error: the name bob is already taken"));

  nc.write_stdin("/quit see you\n");
  EXPECT_TRUE(nc.stdout_contains("*** Goodbye (see you)"));
  EXPECT_TRUE(bob.read_until("*** nora left (1 online): see you"));
  nc.close_stdin();
  EXPECT_TRUE(nc.wait_exit().has_value());
}

}  // namespace
}  // namespace lochat::test
