#include "lochat/client/known_servers.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lochat {
namespace {

class KnownServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        std::filesystem::temp_directory_path() / ("lochat-known-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  [[nodiscard]] std::string path() const {
    return (directory_ / "lochat" / "known_servers").string();
  }

  std::filesystem::path directory_;
};

TEST_F(KnownServersTest, APinIsFoundByHostAndPortWithItsLineNumber) {
  const KnownServers known(path());
  EXPECT_FALSE(known.find("127.0.0.1", 4445));
  known.add("127.0.0.1", 4445, "AA:AA");
  known.add("127.0.0.2", 4445, "BB:BB");
  known.add("127.0.0.1", 5555, "CC:CC");
  const auto second = known.find("127.0.0.2", 4445);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->fingerprint, "BB:BB");
  EXPECT_EQ(second->line, 2U);
  EXPECT_EQ(known.find("127.0.0.1", 5555)->fingerprint, "CC:CC");
  EXPECT_FALSE(known.find("127.0.0.2", 5555));
}

TEST_F(KnownServersTest, AddingKeepsTheLinesAlreadyThereAndLeavesNoTemporaryFile) {
  std::filesystem::create_directories(directory_ / "lochat");
  std::ofstream(path()) << "# a comment the user wrote\nhost.lan 4445 DD:DD";
  const KnownServers known(path());
  known.add("127.0.0.1", 4445, "AA:AA");
  std::ostringstream text;
  text << std::ifstream(path()).rdbuf();
  EXPECT_EQ(text.str(), "# a comment the user wrote\nhost.lan 4445 DD:DD\n127.0.0.1 4445 AA:AA\n");
  EXPECT_EQ(known.find("host.lan", 4445)->line, 2U);
  EXPECT_FALSE(std::filesystem::exists(path() + ".new"));
}

}  // namespace
}  // namespace lochat
