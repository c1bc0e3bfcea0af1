#include "lochat/wire/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lochat::text {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(Sanitize, PrintableUtf8PassesUnchanged) {
  EXPECT_EQ(sanitize("héllo wörld\tこんにちは 🎉"), "héllo wörld\tこんにちは 🎉");
}

TEST(Sanitize, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(sanitize("a\xFF"
                     "b"),
            "a" + kReplacement + "b");
  EXPECT_EQ(sanitize("\xC3"), kReplacement);                     // truncated sequence
  EXPECT_EQ(sanitize("\xC0\xAF"), kReplacement + kReplacement);  // overlong '/'
  EXPECT_EQ(sanitize("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
  EXPECT_EQ(sanitize("\xF4\x90\x80\x80"),                                           // past U+10FFFF
            kReplacement + kReplacement + kReplacement + kReplacement);
}

TEST(Sanitize, ControlCharactersAndEscapeSequencesAreDefused) {
  EXPECT_EQ(sanitize("\x1b[2J\x1b]0;pwned\x07ok"), "[2J]0;pwnedok");
  EXPECT_EQ(sanitize(std::string("nul\0byte\r\x7f", 10)), "nulbyte");
  EXPECT_EQ(sanitize("c1\xC2\x9B"
                     "31m"),
            "c131m");
}

TEST(Sanitize, BidirectionalControlsAreRemoved) {
  // U+202E RIGHT-TO-LEFT OVERRIDE would show "alice: hi" backwards, and the
  // isolates and marks reorder text the same way.
  EXPECT_EQ(sanitize("ab\u202Ecd"), "abcd");
  EXPECT_EQ(sanitize("\u2066x\u2069\u200Ey\u200F\u061Cz\u202A\u202D"), "xyz");
  EXPECT_EQ(sanitize("caf\u00E9 \u05E9\u05DC\u05D5\u05DD"), "caf\u00E9 \u05E9\u05DC\u05D5\u05DD")
      << "right-to-left letters themselves stay";
}

TEST(Names, AcceptsLettersDigitsAndFewSymbolsInAnyScript) {
  EXPECT_EQ(name_problem("alice"), std::nullopt);
  EXPECT_EQ(name_problem("Bob_2-x.y"), std::nullopt);
  EXPECT_EQ(name_problem("Zoë"), std::nullopt);
  EXPECT_EQ(name_problem("Дмитрий"), std::nullopt);
  EXPECT_EQ(name_problem(std::string(32, 'a')), std::nullopt);
}

TEST(Names, RejectsEmptyLongAndOddCharacters) {
  EXPECT_NE(name_problem(""), std::nullopt);
  EXPECT_NE(name_problem(std::string(33, 'a')), std::nullopt);
  EXPECT_NE(name_problem("two words"), std::nullopt);
  EXPECT_NE(name_problem("colon:"), std::nullopt);
  EXPECT_NE(name_problem("star*"), std::nullopt);
  EXPECT_NE(name_problem("bad\xFF"), std::nullopt);
  EXPECT_NE(name_problem("🎉"), std::nullopt);
}

TEST(Names, ThirtyTwoCharactersMeansCharactersNotBytes) {
  std::string thirty_two_letters;
  for (int i = 0; i < 32; ++i) thirty_two_letters += "é";
  EXPECT_EQ(name_problem(thirty_two_letters), std::nullopt);
  EXPECT_NE(name_problem(thirty_two_letters + "é"), std::nullopt);
}

TEST(Names, FoldingIgnoresCase) {
  EXPECT_EQ(fold_name("Alice"), fold_name("aLICE"));
  EXPECT_EQ(fold_name("ZOË"), fold_name("zoë"));
  EXPECT_NE(fold_name("alice"), fold_name("alicf"));
}

// The impostors of the hardening issue, each of which showed as "alice".
TEST(Names, LookAlikeLettersFoldToTheNameTheyImitate) {
  EXPECT_EQ(fold_name("\U0001D41Alice"), fold_name("alice")) << "mathematical bold a";
  EXPECT_EQ(fold_name("al\u0131ce"), fold_name("alice")) << "dotless i";
  EXPECT_EQ(fold_name("\u0430lice"), fold_name("alice")) << "Cyrillic a";
  EXPECT_EQ(fold_name("ALICE"), fold_name("alice"));
  EXPECT_NE(fold_name("alice"), fold_name("alina"));
}

// The adversarial run's impostors: "I" is taken for "l" only before lower
// case, and small capitals have no lower case at all.
TEST(Names, LookAlikesOfCapitalsAndSmallCapitalsFoldToTheNameTheyImitate) {
  EXPECT_EQ(fold_name("aIice"), fold_name("alice")) << "capital I for l";
  EXPECT_EQ(fold_name("AIICE"), fold_name("alice"));
  EXPECT_EQ(fold_name("\u1D00lice"), fold_name("alice")) << "small capital A";
  EXPECT_EQ(fold_name("a\u029Fice"), fold_name("alice")) << "small capital L";
  EXPECT_EQ(fold_name("ALICE"), fold_name("alice")) << "case still folds";
  EXPECT_NE(fold_name("alic\u0117"), fold_name("alice")) << "Lithuanian e with dot above";
  EXPECT_NE(fold_name("\u1D01lice"), fold_name("alice")) << "small capital AE is no a";
}

// UTS #39's skeleton maps fullwidth "ｏ" to "o" but not fullwidth "ｂ":
// compatibility forms are folded before it.
TEST(Names, FullwidthAndOtherCompatibilityLettersFoldToTheNameTheyImitate) {
  EXPECT_EQ(fold_name("\uFF42\uFF4F\uFF42"), fold_name("bob")) << "fullwidth bob";
  EXPECT_EQ(fold_name("\uFF22\uFF2F\uFF22"), fold_name("bob")) << "fullwidth BOB";
  EXPECT_EQ(fold_name("\u212Cob"), fold_name("bob")) << "script capital B";
  EXPECT_NE(fold_name("\uFF42\uFF4F\uFF42"), fold_name("rob"));
}

// Names fold "i" and "l" alike; finding a name in text does not.
TEST(Names, TextFoldsWithoutJoiningIAndL) {
  EXPECT_NE(fold_text("all"), fold_text("ali"));
  EXPECT_EQ(fold_text("ALICE"), fold_text("alice"));
}

TEST(Names, InvisibleCharactersAreRefused) {
  EXPECT_NE(name_problem("alice\u1160\u1160\u1160\u1160"), std::nullopt) << "Hangul filler";
  EXPECT_NE(name_problem("ali\u200Dce"), std::nullopt) << "zero-width joiner";
  EXPECT_NE(name_problem("alice\uFE0F"), std::nullopt) << "variation selector";
  EXPECT_NE(name_problem("\u3164"), std::nullopt) << "Hangul filler alone";
}

// Found by an adversarial run: "alice" with one nearly invisible mark of
// another script passed as a name of its own next to alice.
TEST(Names, MarksOrLettersOfAnotherScriptAreRefused) {
  EXPECT_NE(name_problem("alice\u05B0"), std::nullopt) << "Hebrew point on Latin";
  EXPECT_NE(name_problem("alice\u064B"), std::nullopt) << "Arabic vowel mark on Latin";
  EXPECT_NE(name_problem("alice\u0345"), std::nullopt) << "Greek ypogegrammeni on Latin";
  EXPECT_NE(name_problem("ali\u0441e"), std::nullopt) << "Cyrillic letter among Latin";
  EXPECT_EQ(name_problem("\u0414\u043C\u0438\u0442\u0440\u0438\u0439"), std::nullopt)
      << "Cyrillic alone";
  EXPECT_EQ(name_problem("\u0939\u093F\u0928\u094D\u0926\u0940"), std::nullopt)
      << "Devanagari, with its own marks";
  EXPECT_EQ(name_problem("Vi\u1EC7t"), std::nullopt) << "Latin with Latin marks";
  EXPECT_EQ(name_problem("tanaka_\u7530\u4E2D"), std::nullopt) << "Latin with Han";
}

TEST(Names, LettersThatLookLikePunctuationAreRefused) {
  EXPECT_NE(name_problem("bob\u02D0"), std::nullopt) << "modifier letter triangular colon";
  EXPECT_EQ(name_problem("Zo\u00EB"), std::nullopt) << "an ordinary accented letter stays";
}

// Found by the parser fuzzer: U+01C5 folded to a form that folded on.
TEST(Names, FoldingAFoldedNameChangesNothing) {
  for (const std::string name :
       {"\u01C5", "\u01C4a", "ALICE", "Zo\u00EB", "\U0001D41Alice", "aIice", "\u1D00lice"}) {
    const auto folded = fold_name(name);
    EXPECT_EQ(fold_name(folded), folded) << name;
  }
}

TEST(Names, ComposedAndDecomposedFormsAreOneName) {
  EXPECT_EQ(normalize_name("Zoe\u0308"), "Zo\u00EB");
  EXPECT_EQ(name_problem("Zoe\u0308"), std::nullopt) << "a combining mark is fine once composed";
  EXPECT_EQ(fold_name("Zoe\u0308"), fold_name("Zo\u00EB"));
}

constexpr std::string_view kGutter = "      | ";

TEST(DisplayWidth, WideCharactersTakeTwoColumnsMarksAndColoursNone) {
  EXPECT_EQ(display_width("abc"), 3U);
  EXPECT_EQ(display_width("\xE8\xAA\x9E\xE8\xAA\x9E"), 4U);  // 語語
  EXPECT_EQ(display_width("e\xCC\x81"), 1U);                 // e + combining acute
  EXPECT_EQ(display_width("\x1b[36mbob\x1b[0m"), 3U);
}

TEST(DisplayWidth, ATabReachesTheNextMultipleOfEightColumns) {
  EXPECT_EQ(display_width("\t"), 8U);
  EXPECT_EQ(display_width("> ab\tc"), 9U);
  EXPECT_EQ(display_width("12345678\tx"), 17U);
}

TEST(Wrap, ALineThatFitsIsOneRow) {
  EXPECT_EQ(wrap_for_terminal("19:37 alice: hi", 40, kGutter),
            std::vector<std::string>{"19:37 alice: hi"});
}

TEST(Wrap, EveryFurtherRowStartsWithTheGutterAndFitsTheWidth) {
  const std::string line = "19:37 mallory: " + std::string(100, 'x');
  const auto rows = wrap_for_terminal(line, 40, kGutter);
  ASSERT_GT(rows.size(), 2U);
  std::string joined = rows[0];
  for (std::size_t row = 1; row < rows.size(); ++row) {
    EXPECT_TRUE(rows[row].starts_with(kGutter)) << rows[row];
    joined += rows[row].substr(kGutter.size());
  }
  for (const auto& row : rows) EXPECT_LE(row.size(), 40U);
  EXPECT_EQ(joined, line) << "nothing lost or added but the gutters";
}

// The hardening issue's attack: text padded with spaces to the screen's
// width, so that a fake notice lands at the start of a row.
TEST(Wrap, SpacePaddedPeerTextCannotStartARowAtTheLeftEdge) {
  const std::string fake = "19:37 *** alice left (1 online)";
  const std::string line = "19:36 mallory: hi" + std::string(63, ' ') + fake;
  for (const auto& row : wrap_for_terminal(line, 80, kGutter)) {
    EXPECT_FALSE(row.starts_with(fake)) << "a fake notice has a row of its own";
  }
}

// The adversarial run's attack: tabs carry a fake notice past where a row
// counted them, so the terminal wraps it to a row of its own at the left edge.
TEST(Wrap, TabPaddedPeerTextCannotStartARowAtTheLeftEdge) {
  const std::string fake = "x02:21 *** alice left (1 online)";
  const std::string line = "02:20 mallory: " + std::string(14, '\t') + fake;
  const auto rows = wrap_for_terminal(line, 99, kGutter);
  ASSERT_GT(rows.size(), 1U);
  std::string shown;
  for (std::size_t row = 0; row < rows.size(); ++row) {
    EXPECT_EQ(rows[row].find('\t'), std::string::npos) << "the terminal would place a tab";
    EXPECT_LE(rows[row].size(), 99U) << rows[row];
    EXPECT_TRUE(row == 0 || rows[row].starts_with(kGutter)) << rows[row];
    shown += rows[row];
  }
  EXPECT_NE(shown.find(fake), std::string::npos) << "the peer's text is all shown";
}

TEST(Wrap, ATabStopsAtTheNextMultipleOfEightFromTheRowsStart) {
  EXPECT_EQ(wrap_for_terminal("ab\tc", 40, kGutter), std::vector<std::string>{"ab      c"});
}

TEST(Wrap, ColourSequencesTakeNoRoomAndWideLettersTakeTwo) {
  const std::string coloured = "\x1b[33m" + std::string(20, 'a') + "\x1b[0m";
  EXPECT_EQ(wrap_for_terminal(coloured, 20, kGutter).size(), 1U);
  std::string wide;
  for (int letter = 0; letter < 15; ++letter) wide += "\u4E2D";  // 30 columns
  EXPECT_EQ(wrap_for_terminal(wide, 20, kGutter).size(), 2U);
}

TEST(Wrap, AnUnknownOrTooNarrowScreenGetsOneRow) {
  const std::string line(100, 'x');
  EXPECT_EQ(wrap_for_terminal(line, 0, kGutter).size(), 1U);
  EXPECT_EQ(wrap_for_terminal(line, 8, kGutter).size(), 1U);
}

}  // namespace
}  // namespace lochat::text
