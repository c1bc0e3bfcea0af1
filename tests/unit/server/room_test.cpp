#include "lochat/server/room.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace lochat {
namespace {

// A participant that keeps what it is given, and holds back when told to.
class Recorder final : public Participant {
 public:
  explicit Recorder(Delivery answer = Delivery::done) : answer_(answer) {}
  Delivery deliver(std::span<const SharedLine> lines, const Participant* from,
                   Audience /*audience*/) override {
    for (const auto& line : lines) received.push_back(*line);
    senders.push_back(from);
    return answer_;
  }
  void flush_held() override { ++flushes; }
  [[nodiscard]] std::size_t backlog_bytes() const override { return backlog; }
  void evict() override { evicted = true; }

  std::vector<std::string> received;
  std::size_t backlog = 0;
  bool evicted = false;
  std::vector<const Participant*> senders;
  int flushes = 0;

 private:
  Delivery answer_;
};

struct RoomTest : ::testing::Test {
  std::shared_ptr<Recorder> join(Room& room, const std::string& name,
                                 Participant::Delivery answer = Participant::Delivery::done) {
    auto member = std::make_shared<Recorder>(answer);
    room.join(member, name);
    return member;
  }
  PendingFlushes owed;
};

TEST_F(RoomTest, ABroadcastReachesEveryMemberButTheSender) {
  Room room({});
  auto alice = join(room, "alice");
  auto bob = join(room, "bob");
  auto carol = join(room, "carol");
  room.broadcast(make_shared_line("*** hello\n"), alice.get(), owed);
  EXPECT_TRUE(alice->received.empty());
  EXPECT_EQ(bob->received, std::vector<std::string>{"*** hello\n"});
  EXPECT_EQ(carol->received, std::vector<std::string>{"*** hello\n"});
  EXPECT_EQ(bob->senders.front(), alice.get());
  EXPECT_TRUE(owed.empty());
}

TEST_F(RoomTest, AMemberThatLeftHearsNothingMore) {
  Room room({});
  auto alice = join(room, "alice");
  auto bob = join(room, "bob");
  room.leave(bob.get());
  room.broadcast(make_shared_line("x\n"), alice.get(), owed);
  EXPECT_TRUE(bob->received.empty());
  EXPECT_EQ(room.size(), 1U);
}

TEST_F(RoomTest, PublishedLinesAreReplayedToNewcomersUpToTheHistoryLimit) {
  Room room({.history_lines = 2, .presence_limit = 0});
  auto alice = join(room, "alice");
  room.publish(make_shared_line("From alice: one\nFrom alice: two\n"), alice.get(), owed);
  room.publish(make_shared_line("From alice: three\n"), alice.get(), owed);
  const auto replay = room.recent_history();
  ASSERT_EQ(replay.size(), 2U);
  EXPECT_TRUE(replay[0]->starts_with("History ")) << *replay[0];
  EXPECT_TRUE(replay[0]->ends_with(" From alice: two\n")) << *replay[0];
  EXPECT_TRUE(replay[1]->ends_with(" From alice: three\n")) << *replay[1];
}

TEST_F(RoomTest, TheReplayKeepsTheNewestLinesThatFitItsBytes) {
  Room room({.history_lines = 20, .presence_limit = 0});
  auto alice = join(room, "alice");
  for (int i = 0; i < 10; ++i) {
    room.publish(make_shared_line("From alice: " + std::to_string(i) + "\n"), alice.get(), owed);
  }
  const auto one_line = room.recent_history().back()->size();
  const auto replay = room.recent_history(3 * one_line + one_line / 2);
  ASSERT_EQ(replay.size(), 3U);
  EXPECT_TRUE(replay.front()->ends_with(" From alice: 7\n")) << *replay.front();
  EXPECT_TRUE(replay.back()->ends_with(" From alice: 9\n")) << *replay.back();
  EXPECT_TRUE(room.recent_history(one_line - 1).empty());
}

TEST_F(RoomTest, ARoomWithoutHistoryReplaysNothing) {
  Room room({.history_lines = 0, .presence_limit = 0});
  auto alice = join(room, "alice");
  room.publish(make_shared_line("From alice: hi\n"), alice.get(), owed);
  EXPECT_TRUE(room.recent_history().empty());
}

TEST_F(RoomTest, PresenceNoticesStopWhenMoreThanThePresenceLimitAreOnline) {
  Room room({.history_lines = 0, .presence_limit = 2});
  auto alice = join(room, "alice");
  auto bob = join(room, "bob");
  room.announce_presence(make_shared_line("*** bob joined (2 online)\n"), bob.get(), owed);
  EXPECT_EQ(alice->received.size(), 1U);
  auto carol = join(room, "carol");
  room.announce_presence(make_shared_line("*** carol joined (3 online)\n"), carol.get(), owed);
  EXPECT_EQ(alice->received.size(), 1U);
  EXPECT_TRUE(bob->received.empty());
  room.broadcast(make_shared_line("*** carol is now known as c\n"), carol.get(), owed);
  EXPECT_EQ(alice->received.size(), 2U) << "the limit is on presence notices only";
}

TEST_F(RoomTest, APresenceLimitOfZeroAnnouncesAlways) {
  Room room({.history_lines = 0, .presence_limit = 0});
  std::vector<std::shared_ptr<Recorder>> members;
  for (int i = 0; i < 5; ++i) members.push_back(join(room, "m" + std::to_string(i)));
  room.announce_presence(make_shared_line("*** m4 joined (5 online)\n"), members[4].get(), owed);
  EXPECT_EQ(members[0]->received.size(), 1U);
}

TEST_F(RoomTest, ANameThatFoldsLikeAnotherMembersIsRefused) {
  Room room({});
  auto alice = join(room, "127.0.0.1:5000");
  auto bob = join(room, "127.0.0.2:5000");
  EXPECT_EQ(room.rename(alice.get(), "alice"), Room::Renamed::unverified);
  EXPECT_EQ(room.rename(bob.get(), "ALICE"), Room::Renamed::taken);
  EXPECT_EQ(room.rename(alice.get(), "Alice"), Room::Renamed::unverified)
      << "a member may change the case of its own name";
  EXPECT_EQ(room.online().listed.front().name, "Alice");
}

TEST_F(RoomTest, MembersAreFoundByTheirFoldedName) {
  Room room({});
  auto alice = join(room, "Alice");
  EXPECT_EQ(room.find("aLiCe"), alice);
  EXPECT_EQ(room.find("bob"), nullptr);
}

TEST_F(RoomTest, WhoIsOnlineIsListedInTheOrderTheyJoined) {
  Room room({});
  auto first = join(room, "zed");
  auto second = join(room, "amy");
  const auto online = room.online();
  ASSERT_EQ(online.listed.size(), 2U);
  EXPECT_EQ(online.total, 2U);
  EXPECT_EQ(online.listed[0].name, "zed");
  EXPECT_EQ(online.listed[1].name, "amy");
  EXPECT_GE(online.listed[0].connected.count(), 0);
}

TEST_F(RoomTest, ACrowdIsCountedInFullButListedOnlyAsFarAsALineShows) {
  Room room({});
  std::vector<std::shared_ptr<Recorder>> crowd;
  for (std::size_t i = 0; i < protocol::kMaxListed + 50; ++i) {
    crowd.push_back(join(room, "m" + std::to_string(i)));
  }
  const auto online = room.online();
  EXPECT_EQ(online.total, protocol::kMaxListed + 50);
  EXPECT_EQ(online.listed.size(), protocol::kMaxListed);
  EXPECT_EQ(online.listed.front().name, "m0");
}

TEST_F(RoomTest, RecipientsThatHoldBackAreOwedOneFlushEach) {
  Room room({});
  auto alice = join(room, "alice");
  auto bob = join(room, "bob", Participant::Delivery::held_back);
  auto carol = join(room, "carol");
  room.broadcast(make_shared_line("a\n"), alice.get(), owed);
  EXPECT_EQ(owed.size(), 1U);
  owed.settle_all();
  EXPECT_EQ(bob->flushes, 1);
  EXPECT_EQ(carol->flushes, 0);
  EXPECT_TRUE(owed.empty());
}

TEST_F(RoomTest, ARecipientOwedManyTimesOverIsListedNearlyOnce) {
  Room room({});
  auto alice = join(room, "alice");
  auto bob = join(room, "bob", Participant::Delivery::held_back);
  for (int i = 0; i < 10'000; ++i) room.broadcast(make_shared_line("a\n"), alice.get(), owed);
  EXPECT_LE(owed.size(), 512U);
  owed.settle_all();
  EXPECT_GE(bob->flushes, 1);
}

// Past the server-wide budget the member furthest behind is dropped: it holds
// the oldest lines alive, so dropping it frees the most.
TEST_F(RoomTest, OverTheBudgetTheMemberFurthestBehindIsEvicted) {
  RoomConfig config;
  config.sendq_total = 10'000;
  Room room(config);
  auto sender = join(room, "sender");
  auto close_behind = join(room, "close");
  auto far_behind = join(room, "far");
  close_behind->backlog = 100;
  far_behind->backlog = 50'000;
  room.publish(room.share("small\n"), sender.get(), owed);
  EXPECT_FALSE(far_behind->evicted) << "under the budget nobody is dropped";
  const auto held = room.share(std::string(20'000, 'x'));
  room.broadcast(room.share("over\n"), sender.get(), owed);
  EXPECT_TRUE(far_behind->evicted);
  EXPECT_FALSE(close_behind->evicted);
  EXPECT_FALSE(sender->evicted);
}

}  // namespace
}  // namespace lochat
