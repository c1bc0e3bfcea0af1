// Names owned by keys: claims, releases, folding, and the file that keeps them.
#include "lochat/server/name_owners.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lochat/net/state_files.hpp"
#include "lochat/server/room.hpp"
#include "silent_participant.hpp"

namespace lochat {
namespace {

constexpr std::string_view kAlicesKey = "AA:AA:AA";
constexpr std::string_view kBobsKey = "BB:BB:BB";

class NameOwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("lochat-name-owners-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  [[nodiscard]] std::string path() const {
    return (directory_ / "state" / "owned_names.txt").string();
  }

  std::filesystem::path directory_;
};

TEST_F(NameOwnersTest, TheFirstKeyToClaimANameOwnsItAndNoOtherKeyMay) {
  NameOwners owners("");
  EXPECT_EQ(owners.claim("bob", kBobsKey), NameOwners::Claim::claimed);
  EXPECT_EQ(owners.claim("bob", kBobsKey), NameOwners::Claim::already_yours);
  EXPECT_EQ(owners.claim("bob", kAlicesKey), NameOwners::Claim::belongs_to_another);
  EXPECT_EQ(owners.claim("bob", ""), NameOwners::Claim::belongs_to_another);
  EXPECT_EQ(owners.owner_of("bob"), std::string(kBobsKey));
}

TEST_F(NameOwnersTest, AClientWithoutAKeyOwnsNothingItTakes) {
  NameOwners owners("");
  EXPECT_EQ(owners.claim("carol", ""), NameOwners::Claim::claimed);
  EXPECT_EQ(owners.owner_of("carol"), std::nullopt);
  EXPECT_EQ(owners.size(), 0U);
}

TEST_F(NameOwnersTest, OwnershipComparesNamesFoldedAsUniquenessDoes) {
  NameOwners owners("");
  owners.claim("bob", kBobsKey);
  // "bоb" with a Cyrillic о, and mathematical bold "𝐛𝐨𝐛".
  for (const std::string look_alike : {"BOB", "B0b",
                                       "b\xD0\xBE"
                                       "b",
                                       "\xF0\x9D\x90\x9B\xF0\x9D\x90\xA8\xF0\x9D\x90\x9B"}) {
    EXPECT_EQ(owners.claim(look_alike, kAlicesKey), NameOwners::Claim::belongs_to_another)
        << look_alike;
    EXPECT_EQ(owners.owner_of(look_alike), std::string(kBobsKey)) << look_alike;
  }
}

TEST_F(NameOwnersTest, OnlyTheOwnerReleasesItsNameButAnOperatorFreesAny) {
  NameOwners owners("");
  owners.claim("bob", kBobsKey);
  owners.claim("alice", kAlicesKey);
  EXPECT_FALSE(owners.release_own("bob", kAlicesKey));
  EXPECT_FALSE(owners.release_own("bob", ""));
  EXPECT_TRUE(owners.release_own("BOB", kBobsKey));
  EXPECT_EQ(owners.owner_of("bob"), std::nullopt);
  EXPECT_TRUE(owners.release("alice"));
  EXPECT_FALSE(owners.release("alice")) << "nobody owns it any more";
  EXPECT_EQ(owners.claim("alice", kBobsKey), NameOwners::Claim::claimed);
}

TEST_F(NameOwnersTest, ClaimsSurviveInAPrivateFileThatANewStoreReads) {
  {
    NameOwners owners(path());
    owners.claim("bob", kBobsKey);
    owners.claim("Alice", kAlicesKey);
    owners.release_own("Alice", kAlicesKey);
  }
  struct stat info {};
  ASSERT_EQ(::stat(path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
  const NameOwners again(path());
  EXPECT_EQ(again.owner_of("bob"), std::string(kBobsKey));
  EXPECT_EQ(again.owner_of("alice"), std::nullopt);
  EXPECT_EQ(again.size(), 1U);
}

TEST_F(NameOwnersTest, AStaleNewFileFromACrashMidWriteIsIgnored) {
  {
    NameOwners owners(path());
    owners.claim("bob", kBobsKey);
  }
  // A crash between creating owned_names.txt.new and renaming it leaves this behind.
  std::ofstream(path() + ".new") << kAlicesKey << " bo";
  const NameOwners again(path());
  EXPECT_EQ(again.owner_of("bob"), std::string(kBobsKey));
  EXPECT_EQ(again.size(), 1U);
}

TEST_F(NameOwnersTest, LinesThatAreNotAKeyAndANameAreSkipped) {
  files::make_parent_directories(path());
  files::write_atomically(path(), 0600,
                          "# comment\n\nAA:AA bob\nnonsense\n BB:BB carol\nCC:CC two words\n"
                          "DD:DD dave");
  const NameOwners owners(path());
  EXPECT_EQ(owners.owner_of("bob"), "AA:AA");
  EXPECT_EQ(owners.owner_of("dave"), "DD:DD") << "the last line needs no newline";
  EXPECT_EQ(owners.size(), 2U);
}

// A file saved before folding knew fullwidth letters holds "bob" and
// "ｂｏｂ" apart, "bob" first (sorted by the old folding): the later line must
// not take bob's name over.
TEST_F(NameOwnersTest, TwoLinesThatNowFoldToOneNameLeaveItWithTheFirst) {
  files::make_parent_directories(path());
  files::write_atomically(path(), 0600, "AA:AA bob\nEE:EE \uFF42\uFF4F\uFF42\n");
  const NameOwners owners(path());
  EXPECT_EQ(owners.owner_of("bob"), "AA:AA");
  EXPECT_EQ(owners.size(), 1U);
}

using Silent = test::SilentParticipant;

TEST_F(NameOwnersTest, TheRoomLetsOnlyTheOwningKeyTakeANameAndListsItVerified) {
  NameOwners owners("");
  Room room({}, &owners);
  auto bob = std::make_shared<Silent>();
  auto thief = std::make_shared<Silent>();
  auto guest = std::make_shared<Silent>();
  room.join(bob, "10.0.0.1:1", std::string(kBobsKey));
  room.join(thief, "10.0.0.2:1", std::string(kAlicesKey));
  room.join(guest, "10.0.0.3:1");
  EXPECT_EQ(room.rename(bob.get(), "bob"), Room::Renamed::claimed);
  EXPECT_EQ(room.rename(bob.get(), "robert"), Room::Renamed::claimed);
  EXPECT_EQ(room.rename(thief.get(), "Bob"), Room::Renamed::owned) << "bob left it, but owns it";
  EXPECT_EQ(room.rename(guest.get(), "b0b"), Room::Renamed::owned);
  EXPECT_EQ(room.rename(guest.get(), "guest"), Room::Renamed::unverified);
  EXPECT_EQ(room.rename(bob.get(), "bob"), Room::Renamed::verified);
  const auto online = room.online();
  ASSERT_EQ(online.listed.size(), 3U);
  EXPECT_TRUE(online.listed[0].verified);
  EXPECT_FALSE(online.listed[1].verified) << "the thief's address is nobody's name";
  EXPECT_FALSE(online.listed[2].verified);
}

TEST_F(NameOwnersTest, OfKeysRacingForOneNameExactlyOneGetsItAndOwnsIt) {
  NameOwners owners(path());
  Room room({}, &owners);
  constexpr std::size_t kRacers = 8;
  std::vector<std::shared_ptr<Silent>> racers;
  for (std::size_t i = 0; i < kRacers; ++i) {
    racers.push_back(std::make_shared<Silent>());
    room.join(racers.back(), "10.0.0." + std::to_string(i) + ":1", "KEY" + std::to_string(i));
  }
  std::vector<Room::Renamed> results(kRacers);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kRacers; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = room.rename(racers[i].get(), i % 2 ? "Bob" : "bob"); });
  }
  for (auto& thread : threads) thread.join();
  const auto winner = std::find(results.begin(), results.end(), Room::Renamed::claimed);
  ASSERT_NE(winner, results.end());
  EXPECT_EQ(std::count(results.begin(), results.end(), Room::Renamed::claimed), 1);
  // The losers find the name taken, and owned by the winner's key: that is their answer.
  EXPECT_EQ(std::count(results.begin(), results.end(), Room::Renamed::owned),
            static_cast<std::ptrdiff_t>(kRacers) - 1);
  const auto key = "KEY" + std::to_string(winner - results.begin());
  EXPECT_EQ(owners.owner_of("bob"), key);
  EXPECT_EQ(NameOwners(path()).owner_of("bob"), key) << "saved before rename() returned";
}

}  // namespace
}  // namespace lochat
