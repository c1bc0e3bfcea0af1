// A person with plain `nc` can use every command by hand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

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

  // What the nc user types, and the line that must follow: in nc's own
  // output, or at Bob's end. In order: each step builds on the one before.
  enum class Seen { by_nc, by_bob };
  struct Step {
    std::string typed;
    Seen seen;
    std::string expected;
  };
  const std::vector<Step> steps = {
      {"/nick nora", Seen::by_nc, "*** You are now known as nora"},
      {"", Seen::by_bob, "*** nora joined (2 online)"},
      {"/who", Seen::by_nc, "*** Online (2): bob ("},
      {"/msg bob just between us", Seen::by_bob, "Private from nora: just between us"},
      {"/me waves", Seen::by_bob, "* nora waves"},
      {"//slash is literal", Seen::by_bob, "From nora: /slash is literal"},
      {"/help", Seen::by_nc, "*** /quit [reason] - leave the chat"},
      {"/bogus", Seen::by_nc, "Error: unknown command /bogus (try /help)"},
      {"/nick bob", Seen::by_nc, "Error: the name bob is already taken"},
      {"/quit see you", Seen::by_nc, "*** Goodbye (see you)"},
      {"", Seen::by_bob, "*** nora left (1 online): see you"},
  };
  for (const auto& step : steps) {
    if (!step.typed.empty()) nc.write_stdin(step.typed + "\n");
    const bool seen = step.seen == Seen::by_nc ? nc.stdout_contains(step.expected)
                                               : bob.read_until(step.expected);
    EXPECT_TRUE(seen) << "after typing '" << step.typed << "': no '" << step.expected << "'";
  }
  nc.close_stdin();
  EXPECT_TRUE(nc.wait_exit().has_value());
}

}  // namespace
}  // namespace lochat::test
