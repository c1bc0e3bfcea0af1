// The real `lochat` binary: reconnecting and config files.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.hpp"

namespace lochat::test {
namespace {

// Waits until `observer` sees `name` in the answer to /who.
bool online(LineClient& observer, const std::string& name) {
  return eventually([&] {
    observer.send_line("/who");
    const auto reply = observer.read_line();
    return reply && reply->starts_with("*** Online (") &&
           reply->find(" " + name + " (") != std::string::npos;
  });
}

TEST(ClientReconnect, ComesBackUnderTheSameNameAfterAServerRestart) {
  auto first = std::make_unique<ServerProcess>();
  const std::string port = std::to_string(first->port());
  ChildProcess lochat(
      {client_binary(), "--host", "127.0.0.1", "--port", port, "--name", "alice", "--reconnect"});
  ASSERT_TRUE(lochat.stdout_contains("You are now known as alice"));

  first->process().send_signal(SIGTERM);
  ASSERT_EQ(first->process().wait_exit(), 0);
  first.reset();
  EXPECT_TRUE(lochat.stderr_contains("reconnecting to 127.0.0.1:" + port));

  ServerProcess second({"--port", port});
  LineClient observer(second.port());
  ASSERT_TRUE(online(observer, "alice"));
  lochat.write_stdin("back again\n");
  EXPECT_TRUE(observer.read_until("From alice: back again"));
  lochat.close_stdin();
  EXPECT_EQ(lochat.wait_exit(), 0);
}

TEST(ClientReconnect, WithoutTheFlagAServerRestartEndsTheClient) {
  ServerProcess server;
  ChildProcess lochat({client_binary(), "--host", "127.0.0.1", "--port",
                       std::to_string(server.port()), "--name", ""});
  ASSERT_TRUE(lochat.stdout_contains("Welcome to LoChat!"));
  server.process().send_signal(SIGTERM);
  EXPECT_EQ(lochat.wait_exit(), 1);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::temp_directory_path() / ("lochat-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_ / "lochat");
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string write(const std::string& name, const std::string& content) {
    const auto path = directory_ / name;
    std::ofstream(path) << content;
    return path.string();
  }
  std::filesystem::path directory_;
};

TEST_F(ConfigFileTest, ClientReadsNameAndHostFromItsXdgConfig) {
  ServerProcess server;
  write("lochat/client.toml", "host = \"127.0.0.1\"\nport = " + std::to_string(server.port()) +
                                  "\nname = \"configured\"\n");
  ChildProcess lochat({client_binary()}, {"XDG_CONFIG_HOME=" + directory_.string()});
  EXPECT_TRUE(lochat.stdout_contains("You are now known as configured"));
  lochat.close_stdin();
  EXPECT_EQ(lochat.wait_exit(), 0);
}

TEST_F(ConfigFileTest, CommandLineFlagsOverrideTheFile) {
  ServerProcess server;
  const auto file =
      write("client.toml", "host = \"127.0.0.1\"\nport = " + std::to_string(server.port()) +
                               "\nname = \"file\"\n");
  ChildProcess lochat({client_binary(), "--config", file, "--name", "flag"});
  EXPECT_TRUE(lochat.stdout_contains("You are now known as flag"));
  lochat.close_stdin();
  EXPECT_EQ(lochat.wait_exit(), 0);
}

TEST_F(ConfigFileTest, UnknownKeyIsOneErrorNamingFileAndKey) {
  const auto file = write("server.toml", "port = 4444\ncolour = \"blue\"\n");
  ChildProcess server({server_binary(), "--config", file});
  EXPECT_NE(server.wait_exit(), 0);
  const auto error = server.read_stderr_line();
  EXPECT_EQ(error, "lochat-server: " + file + ": unknown key 'colour'");
  EXPECT_EQ(server.read_stderr_line(), std::nullopt);
}

TEST_F(ConfigFileTest, ServerTakesItsSettingsFromTheFile) {
  const auto file = write("server.toml", "history = 1\nmax-clients = 1\n");
  ServerProcess server({"--config", file});
  LineClient first(server.port());
  ASSERT_TRUE(first.read_until("Welcome to LoChat!"));
  LineClient second(server.port());
  EXPECT_EQ(second.read_line(), "Error: server full (1 clients), try again later");
}

}  // namespace
}  // namespace lochat::test
