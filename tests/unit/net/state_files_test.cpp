// State files are replaced whole and made private before any byte is written.
#include "lochat/net/state_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "lochat/net/socket.hpp"

namespace lochat::files {
namespace {

class StateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("lochat-state-files-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  [[nodiscard]] std::string path(const std::string& name) const {
    return (directory_ / "a" / "b" / name).string();
  }

  std::filesystem::path directory_;
};

TEST_F(StateFiles, AFileIsWrittenWithItsModeInDirectoriesOnlyItsOwnerCanList) {
  const auto file = path("owned_names");
  make_parent_directories(file);
  write_atomically(file, 0600, "bob AB:CD\n");
  EXPECT_EQ(read_all(file), "bob AB:CD\n");
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat((directory_ / "a").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700U);
}

TEST_F(StateFiles, AWriteThatFailsLeavesTheOldFileWholeAndNoTemporaryBehind) {
  const auto file = path("bans");
  make_parent_directories(file);
  write_atomically(file, 0600, "old\n");
  EXPECT_THROW(write_atomically(file, 0600,
                                [](std::FILE* out) {
                                  std::fputs("half of the new", out);
                                  return false;
                                }),
               NetError);
  EXPECT_EQ(read_all(file), "old\n");
  EXPECT_FALSE(std::filesystem::exists(file + ".new"));
}

TEST_F(StateFiles, AMissingFileReadsAsEmpty) {
  EXPECT_EQ(read_all(path("never_written")), "");
}

}  // namespace
}  // namespace lochat::files
