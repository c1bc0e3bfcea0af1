// The pty tests judge lochat by TerminalScreen's rows, so its own behaviour
// is pinned here: what it draws, wipes and moves as a terminal would.
#include "terminal_screen.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lochat::test {
namespace {

using Rows = std::vector<std::string>;

Rows first_rows(const TerminalScreen& screen, std::size_t count) {
  const auto rows = screen.rows();
  return {rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(count)};
}

TEST(TerminalScreen, WrapsAtTheLastColumnAndTakesCarriageReturnsAndNewlines) {
  TerminalScreen screen(4, 10);
  screen.feed("0123456789abc\r\nnext \xE2\x9C\x93\x1b[31m red\x1b[0m");
  EXPECT_EQ(first_rows(screen, 3), (Rows{"0123456789", "abc", "next ✓ red"}));
  EXPECT_EQ(screen.cursor_row(), 2U);
}

TEST(TerminalScreen, AWideCharacterTakesTwoCellsAndDoesNotSplitAcrossRows) {
  TerminalScreen screen(3, 5);
  screen.feed(
      "ab\xE8\xAA\x9E\xE8\xAA\x9E");  // "ab語語": the second 語 has one cell left, so it wraps
  EXPECT_EQ(first_rows(screen, 2), (Rows{"ab語", "語"}));
  screen.feed("\r\x1b[2Ce\xCC\x81");  // a combining acute accent joins the "e"
  EXPECT_EQ(screen.rows()[1], "語e\xCC\x81");
}

TEST(TerminalScreen, CursorMovesAndErasesAsReadlineUsesThem) {
  TerminalScreen screen(4, 10);
  screen.feed("one\r\ntwo\r\nthree");
  screen.feed("\x1b[1A\x1b[2K\rTWO");  // up one row, wipe it, write again
  screen.feed("\x1b[1A\r\x1b[J");      // up to "one", wipe to the end of the screen
  EXPECT_EQ(first_rows(screen, 3), (Rows{"", "", ""}));
  screen.feed("abcdef\r\x1b[2C\x1b[K");  // two right, wipe the rest of the row
  EXPECT_EQ(screen.rows()[0], "ab");
}

TEST(TerminalScreen, ScrollsWhenANewlineLeavesTheBottomRow) {
  TerminalScreen screen(2, 10);
  screen.feed("one\r\ntwo\r\nthree");
  EXPECT_EQ(screen.rows(), (Rows{"two", "three"}));
}

TEST(TerminalScreen, AReflowingResizeRewrapsALineAndKeepsTheCursorInIt) {
  TerminalScreen screen(4, 10);
  screen.feed("kept\r\n> 0123456789ab");  // 14 cells: two rows at 10 columns
  screen.resize(4, 5, true);
  EXPECT_EQ(first_rows(screen, 4), (Rows{"kept", "> 012", "34567", "89ab"}));
  EXPECT_EQ(screen.cursor_row(), 3U);
  screen.resize(4, 20, true);
  EXPECT_EQ(first_rows(screen, 2), (Rows{"kept", "> 0123456789ab"}));
  EXPECT_EQ(screen.cursor_row(), 1U);
}

TEST(TerminalScreen, AnXtermResizeCutsRowsAndLeavesTheCursorsRow) {
  TerminalScreen screen(4, 10);
  screen.feed("kept\r\n> 0123456789ab");
  screen.resize(4, 5, false);
  EXPECT_EQ(first_rows(screen, 3), (Rows{"kept", "> 012", "89ab"}));
  EXPECT_EQ(screen.cursor_row(), 2U);
}

}  // namespace
}  // namespace lochat::test
