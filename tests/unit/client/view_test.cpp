#include "lochat/client/view.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "lochat/client/name_negotiation.hpp"
#include "lochat/client/roster.hpp"

namespace lochat::view {
namespace {

const Style kPlain{false, BellMode::mention};
const Style kColor{true, BellMode::mention};

TEST(Render, RelayGetsTimeAndNameWithoutColour) {
  const auto shown = render("From bob: hi there", "10:06", "alice", kPlain);
  EXPECT_EQ(shown.text, "10:06 bob: hi there");
  EXPECT_FALSE(shown.ring);
}

TEST(Render, ColourGivesEachNameItsOwnStableColour) {
  const auto shown = render("From bob: hi", "10:06", "alice", kColor);
  const std::string bob_colour = "\x1b[" + std::to_string(name_color("bob")) + "m";
  EXPECT_NE(shown.text.find(bob_colour + "bob\x1b[0m"), std::string::npos) << shown.text;
  EXPECT_EQ(name_color("bob"), name_color("BOB"));
  EXPECT_EQ(render("From bob: again", "10:07", "alice", kColor).text.find(bob_colour), 6U);
}

// The hardening issue: a /quit reason padded to show "*** Server is shutting
// down" in the notice colour. The reason is the peer's text: quoted, and out
// of the notice colour.
TEST(Render, AQuitReasonIsQuotedAndNotInTheNoticeColour) {
  const std::string line = "*** mallory left (1 online): *** Server is shutting down";
  EXPECT_EQ(render(line, "19:37", "bob", kPlain).text,
            "19:37 *** mallory left (1 online): \"*** Server is shutting down\"");
  const auto coloured = render(line, "19:37", "bob", kColor).text;
  const auto reason = coloured.find("\"*** Server");
  ASSERT_NE(reason, std::string::npos);
  EXPECT_LT(coloured.rfind("\x1b[0m", reason), reason) << "the notice colour ends before it";
  EXPECT_EQ(render("*** mallory left (1 online)", "19:37", "bob", kPlain).text,
            "19:37 *** mallory left (1 online)");
}

TEST(Render, NoEscapeCodesWithoutColour) {
  for (const char* line :
       {"From bob: hi", "Private from bob: psst", "* bob waves", "*** bob joined (2 online)",
        "Error: nope", "History 09:00 From bob: old"}) {
    EXPECT_EQ(render(line, "10:00", "alice", kPlain).text.find('\x1b'), std::string::npos) << line;
  }
}

TEST(Render, PrivateMessagesAndActionsAreMarked) {
  EXPECT_EQ(render("Private from bob: psst", "10:06", "alice", kPlain).text,
            "10:06 [private] bob: psst");
  EXPECT_EQ(render("* bob waves", "10:06", "alice", kPlain).text, "10:06 * bob waves");
  EXPECT_EQ(render("Error: nope", "10:06", "alice", kPlain).text, "10:06 ! nope");
}

TEST(Render, HistoryKeepsItsOwnTimeAndIsMarkedAndDimmed) {
  EXPECT_EQ(render("History 09:15 From bob: old news", "10:06", "alice", kPlain).text,
            "09:15 [history] bob: old news");
  EXPECT_EQ(render("History 09:15 From bob: old news", "10:06", "alice", kColor)
                .text.rfind("09:15 \x1b[2m[history] ", 0),
            0U);
}

// Issue 14: your own bold bright cyan name looked like a peer's cyan one, and
// a bright yellow name like a notice.
TEST(Render, YourOwnNameIsBoldReverseWhichNoPeerNameGets) {
  const std::string mine = "\x1b[1m\x1b[7malice\x1b[0m";
  EXPECT_NE(render_own("hi", "10:06", "alice", kColor).find(mine), std::string::npos);
  EXPECT_NE(render("From Alice: hi", "10:06", "alice", kColor).text.find("\x1b[1m\x1b[7mAlice"),
            std::string::npos);
  const auto peer = render("From bob: hi", "10:06", "alice", kColor).text;
  EXPECT_EQ(peer.find("\x1b[1m"), std::string::npos) << peer;
  EXPECT_EQ(peer.find("\x1b[7m"), std::string::npos) << peer;
}

TEST(Render, NoPeerNameTakesTheColourOfNoticesWarningsOrPrivateTags) {
  const std::set<int> reserved{31, 33, 35, 91, 93, 95};  // red, yellow, magenta
  std::set<int> used;
  for (int index = 0; index < 500; ++index) {
    const int colour = name_color("user" + std::to_string(index));
    EXPECT_EQ(reserved.count(colour), 0U) << colour;
    used.insert(colour);
  }
  EXPECT_GE(used.size(), 6U) << "names should still be told apart";
  EXPECT_EQ(render("*** bob joined (2 online)", "10:06", "alice", kColor).text.find("\x1b[33m*** "),
            6U);
}

TEST(Render, HistoryIsDimmedToTheEndOfTheLineNotOnlyTheTag) {
  const auto shown = render("History 09:15 From bob: old news", "10:06", "alice", kColor).text;
  const auto text = shown.find(": old news");
  ASSERT_NE(text, std::string::npos) << shown;
  const auto reset = shown.rfind("\x1b[0m", text);
  ASSERT_NE(reset, std::string::npos) << "the name's colour ends before the text";
  EXPECT_EQ(shown.substr(reset, text - reset), "\x1b[0m\x1b[2m") << shown;
  EXPECT_TRUE(shown.ends_with("old news\x1b[0m")) << shown;
}

TEST(Render, PeerEscapeSequencesNeverReachTheTerminal) {
  const auto shown =
      render("From bob: \x1b]0;owned\x07\x1b[2Jgotcha\x1b[H", "10:06", "alice", kPlain);
  EXPECT_EQ(shown.text, "10:06 bob: ]0;owned[2Jgotcha[H");
  EXPECT_EQ(shown.text.find_first_of("\x1b\x07"), std::string::npos);
}

TEST(Bell, RingsForMentionsAndPrivateMessagesByDefault) {
  EXPECT_TRUE(render("From bob: hey Alice, lunch?", "10:00", "alice", kPlain).ring);
  EXPECT_FALSE(render("From bob: malice aforethought", "10:00", "alice", kPlain).ring);
  EXPECT_TRUE(render("Private from bob: psst", "10:00", "alice", kPlain).ring);
  EXPECT_FALSE(render("From bob: nothing for you", "10:00", "alice", kPlain).ring);
  EXPECT_FALSE(render("History 09:00 From bob: alice!", "10:00", "alice", kPlain).ring);
}

// Names fold "i" and "l" alike, words in a line do not: "all" is a word.
TEST(Bell, AWordThatOnlyLooksLikeYourNameDoesNotRing) {
  EXPECT_FALSE(render("From bob: hi all", "10:00", "ali", kPlain).ring);
  EXPECT_TRUE(render("From bob: hi ALI", "10:00", "ali", kPlain).ring);
}

TEST(Bell, AllAndOffModes) {
  const Style all{false, BellMode::all};
  const Style off{false, BellMode::off};
  EXPECT_TRUE(render("From bob: anything", "10:00", "alice", all).ring);
  EXPECT_FALSE(render("*** bob joined (2 online)", "10:00", "alice", all).ring);
  EXPECT_FALSE(render("Private from bob: psst", "10:00", "alice", off).ring);
  EXPECT_FALSE(render("From bob: alice!", "10:00", "alice", off).ring);
}

TEST(RenderOwn, ShowsMyLinesWithACheckMark) {
  EXPECT_EQ(render_own("hello", "10:06", "alice", kPlain), "10:06 alice: hello \xE2\x9C\x93");
  EXPECT_EQ(render_own("/me waves", "10:06", "alice", kPlain), "10:06 * alice waves \xE2\x9C\x93");
  EXPECT_EQ(render_own("/msg bob psst", "10:06", "alice", kPlain),
            "10:06 [to bob] psst \xE2\x9C\x93");
  EXPECT_EQ(render_own("//etc", "10:06", "alice", kPlain), "10:06 alice: /etc \xE2\x9C\x93");
}

TEST(Roster, FollowsWhoIsOnline) {
  Roster roster;
  roster.observe("*** Online (3): alice (5m), bob (2h 3m), 127.0.0.7:5000 (0s)");
  EXPECT_EQ(roster.names(), (std::set<std::string>{"alice", "bob", "127.0.0.7:5000"}));
  roster.observe("*** carol joined (4 online)");
  roster.observe("*** bob is now known as robert");
  roster.observe("*** alice left (3 online): lunch");
  roster.observe("*** 127.0.0.7:5000 was disconnected: flooding (2 online)");
  roster.observe("*** You are now known as zed");
  EXPECT_EQ(roster.names(), (std::set<std::string>{"carol", "robert"}));
}

TEST(Roster, KnowsWhoIsVerifiedFromTheListAndNotices) {
  Roster roster;
  roster.observe("*** Online (2): alice (5m; verified), bob (2h 3m)");
  EXPECT_TRUE(roster.verified("alice"));
  EXPECT_FALSE(roster.verified("bob"));
  roster.observe("*** carol joined (3 online)");
  EXPECT_FALSE(roster.verified("carol"));
  roster.observe("*** carol is verified (the name belongs to their key)");
  EXPECT_TRUE(roster.verified("carol"));
  roster.observe("*** alice is now known as al");
  EXPECT_FALSE(roster.verified("al")) << "until the server says so";
  roster.observe("*** carol is no longer verified (gave up the name)");
  EXPECT_FALSE(roster.verified("carol"));
  EXPECT_FALSE(roster.unverified_senders(false)) << "a server without owned names marks none";
  EXPECT_TRUE(roster.unverified_senders(true)("carol"));
}

TEST(Render, AnUnverifiedSenderGetsAQuestionMarkDimmedInColour) {
  const auto unverified = [](std::string_view sender) { return sender == "mallory"; };
  EXPECT_EQ(render("From mallory: hi", "10:06", "alice", kPlain, unverified).text,
            "10:06 mallory?: hi");
  EXPECT_EQ(render("* mallory waves", "10:06", "alice", kPlain, unverified).text,
            "10:06 * mallory? waves");
  EXPECT_EQ(render("From bob: hi", "10:06", "alice", kPlain, unverified).text, "10:06 bob: hi");
  EXPECT_NE(render("Private from mallory: psst", "10:06", "alice", kColor, unverified)
                .text.find("mallory\x1b[0m\x1b[2m?\x1b[0m: psst"),
            std::string::npos);
}

TEST(Completion, CompletesNamesIgnoringCaseAndCommands) {
  Roster roster;
  roster.observe("*** Online (3): Alice (5m), albert (1m), bob (0s)");
  EXPECT_EQ(completions("al", roster), (std::set<std::string>{"Alice", "albert"}));
  EXPECT_EQ(completions("B", roster), (std::set<std::string>{"bob"}));
  EXPECT_EQ(completions("/m", roster), (std::set<std::string>{"/me", "/motd", "/msg", "/mute"}));
  EXPECT_TRUE(completions("zz", roster).empty());
}

TEST(NameNegotiation, OffersAFreeVariantWhenTheNameIsTaken) {
  NameNegotiation names("alice");
  EXPECT_EQ(names.first_request(), "/nick alice");
  EXPECT_EQ(names.observe("Error: the name alice is already taken"), "/nick alice_2");
  EXPECT_EQ(names.observe("Error: the name alice_2 is already taken"), "/nick alice_3");
  EXPECT_FALSE(names.settled());
  EXPECT_EQ(names.observe("*** You are now known as alice_3"), std::nullopt);
  EXPECT_TRUE(names.settled());
  EXPECT_EQ(names.name(), "alice_3");
}

TEST(NameNegotiation, ANameOwnedByAnotherKeyFallsBackAndSaysSo) {
  NameNegotiation names("bob");
  EXPECT_EQ(names.observe("Error: the name bob belongs to another key"), "/nick bob_2");
  EXPECT_EQ(names.observe("*** You are now known as bob_2"), std::nullopt);
  EXPECT_TRUE(names.lost_wanted_name());
  EXPECT_EQ(names.lost_name_warning(),
            "the name 'bob' belongs to another key: you are 'bob_2' here. Whoever took it first "
            "with their key owns it.");
}

TEST(NameNegotiation, VariantsOfLongNamesStayWithinTheLimit) {
  NameNegotiation names(std::string(32, 'n'));
  const auto retry = names.observe("Error: the name " + std::string(32, 'n') + " is already taken");
  EXPECT_EQ(retry, "/nick " + std::string(30, 'n') + "_2");
}

TEST(NameFromLogin, MakesAValidName) {
  EXPECT_EQ(name_from_login("john doe"), "john_doe");
  EXPECT_EQ(name_from_login(""), "guest");
  EXPECT_EQ(name_from_login(std::string(40, 'x')).size(), 32U);
}

}  // namespace
}  // namespace lochat::view
