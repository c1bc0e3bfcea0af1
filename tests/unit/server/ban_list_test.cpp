#include "lochat/server/ban_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lochat::moderation {
namespace {

using namespace std::chrono_literals;

const std::string kKey =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:"
    "89";

TEST(Durations, AreAWholeNumberAndOneUnit) {
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("10m"), 10min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("1w"), 7 * 24h);
  for (const char* wrong :
       {"", "m", "10", "0m", "-1m", "1.5h", "10 m", "10x", "spam", "99999999999999d"}) {
    EXPECT_FALSE(parse_duration(wrong)) << wrong;
  }
}

TEST(Targets, AFingerprintIsThirtyTwoHexPairsAndComesBackInUpperCase) {
  std::string lower = kKey;
  for (auto& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(parse_fingerprint(lower), kKey);
  EXPECT_FALSE(parse_fingerprint(kKey.substr(3)));
  EXPECT_FALSE(parse_fingerprint("GG" + kKey.substr(2)));
  EXPECT_TRUE(is_address("127.0.0.2"));
  EXPECT_TRUE(is_address("::1"));
  EXPECT_FALSE(is_address("bob"));
  EXPECT_FALSE(is_address(kKey));
}

TEST(BanList, FindsABanByAddressOrKeyUntilItRunsOut) {
  const auto now = Clock::now();
  BanList bans;
  bans.add({"127.0.0.2", now + 1h, "alice", "spam"});
  bans.add({kKey, std::nullopt, "alice", ""});
  EXPECT_EQ(bans.find("127.0.0.2", "", now)->reason, "spam");
  EXPECT_EQ(bans.find("127.0.0.3", kKey, now)->target, kKey);
  EXPECT_FALSE(bans.find("127.0.0.3", "", now));
  EXPECT_FALSE(bans.find("127.0.0.2", "", now + 2h));
  EXPECT_TRUE(bans.drop_expired(now + 2h));
  EXPECT_EQ(bans.entries().size(), 1U);
  EXPECT_TRUE(bans.remove(kKey));
  EXPECT_FALSE(bans.remove(kKey));
}

TEST(BanList, ANewBanOfATargetReplacesItsOldOne) {
  BanList bans;
  bans.add({"127.0.0.2", std::nullopt, "alice", "first"});
  bans.add({"127.0.0.2", std::nullopt, "bob", "second"});
  ASSERT_EQ(bans.entries().size(), 1U);
  EXPECT_EQ(bans.entries()[0].reason, "second");
}

TEST(BanList, ReadsBackWhatItWroteWithoutTheExpiredAndSkipsWhatIsNotABan) {
  const auto now = Clock::now();
  BanList bans;
  bans.add({"127.0.0.2", std::chrono::time_point_cast<std::chrono::seconds>(now + 1h), "alice",
            "spam and\tworse"});
  bans.add({kKey, std::nullopt, "alice", ""});
  bans.add({"127.0.0.3", now - 1s, "alice", "gone"});
  const std::string text = bans.to_text() + "bob 0 alice nonsense\n127.0.0.4 soon alice x\n";
  std::vector<std::string> problems;
  const auto read = BanList::from_text(text, now, problems);
  ASSERT_EQ(read.entries().size(), 2U);
  EXPECT_EQ(read.entries()[0].reason, "spam and worse");
  EXPECT_EQ(read.entries()[0].until, bans.entries()[0].until);
  EXPECT_EQ(read.entries()[1].target, kKey);
  EXPECT_FALSE(read.entries()[1].until);
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_EQ(problems[0], "line 5: not a ban: bob 0 alice nonsense");
}

TEST(OpsFile, HoldsFingerprintsAndNamesWithCommentsAndSkipsOtherLines) {
  std::vector<std::string> problems;
  const auto operators = parse_operators(
      "# the operators\n\n" + kKey + "  # alice\nnot a key\n\x1b[31mred\nbob\n", problems);
  EXPECT_EQ(operators.keys, std::set<std::string>{kKey});
  EXPECT_EQ(operators.names, std::set<std::string>{"bob"});
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_EQ(problems[0], "line 4: neither a key fingerprint nor a name: not a key");
  EXPECT_EQ(problems[1], "line 5: neither a key fingerprint nor a name: [31mred");
}

}  // namespace
}  // namespace lochat::moderation
