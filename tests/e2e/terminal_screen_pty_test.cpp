// The real `lochat` in a pseudo-terminal, judged by the screen a terminal
// would show (tests/support/terminal_screen): pastes, window resizes and
// colours, against the real lochat-server on 127.0.0.1 (issue 14, point 3).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "pty_client.hpp"

namespace lochat::test {
namespace {

// A block as a terminal in bracketed-paste mode sends it: newlines as CR.
std::string bracketed_paste(const std::vector<std::string>& lines, bool final_newline) {
  std::string block = "\x1b[200~";
  for (std::size_t index = 0; index < lines.size(); ++index) {
    block += lines[index];
    if (index + 1 < lines.size() || final_newline) block += "\r";
  }
  return block + "\x1b[201~";
}

// A row that shows one of alice's confirmed lines exactly: "HH:MM alice: TEXT ✓".
bool is_own_line(const std::string& row, const std::string& text) {
  const std::string ending = "alice: " + text + " " + std::string(kCheckMark);
  return std::regex_match(row.substr(0, 6), std::regex("\\d\\d:\\d\\d ")) &&
         row.substr(6) == ending;
}

bool screen_has_own_line(const TerminalScreen& screen, const std::string& text) {
  const auto rows = screen.rows();
  return std::any_of(rows.begin(), rows.end(),
                     [&](const std::string& row) { return is_own_line(row, text); });
}

// The prompt and what is typed after it, from the last row starting with
// "> " to the screen's last non-empty row, blanks left out (a wrap may fall on one).
std::string input_area(const TerminalScreen& screen) {
  const auto rows = screen.rows();
  std::string area;
  bool in_prompt = false;
  for (const auto& row : rows) {
    if (row.starts_with("> ") || row == ">") {
      area.clear();
      in_prompt = true;
    }
    if (in_prompt) area += row;
  }
  std::erase(area, ' ');
  return area;
}

std::string without_blanks(std::string text) {
  std::erase(text, ' ');
  return text;
}

// alice, named, on a terminal; `other` is bob on a bare connection.
struct Room {
  explicit Room(TerminalKind kind = TerminalKind::reflowing, bool colour = false)
      : other(server.port()), alice(server.port(), {"--name", "alice"}, colour, kind) {
    other.send_line("/nick bob");
    EXPECT_TRUE(other.read_until("*** You are now known as bob"));
    EXPECT_TRUE(alice.shows("You are now known as alice")) << alice.output();
  }
  ServerProcess server;
  LineClient other;
  PtyClient alice;
};

TEST(TerminalPty, APasteShowsAsTheLinesThatWereSent) {
  Room room;
  // Readline turns bracketed paste on; the person pastes three lines and presses Enter.
  ASSERT_TRUE(room.alice.shows("\x1b[?2004h")) << room.alice.output();
  room.alice.type(bracketed_paste({"bp one", "bp two", "bp three"}, true) + "\r");
  for (const char* line : {"bp one", "bp two", "bp three"}) {
    EXPECT_TRUE(room.other.read_until(std::string("From alice: ") + line)) << line;
  }
  ASSERT_TRUE(room.alice.read_until([](const std::string& all) {
    return some_line_has(all, {"bp three", kCheckMark});
  })) << room.alice.output();
  ASSERT_TRUE(room.alice.screen_until([](const TerminalScreen& screen) {
    return input_area(screen) == ">";
  })) << room.alice.screen().text();
  const auto& screen = room.alice.screen();
  for (const char* line : {"bp one", "bp two", "bp three"}) {
    EXPECT_TRUE(screen_has_own_line(screen, line)) << line << " in\n" << screen.text();
  }
  for (const auto& row : screen.rows()) {
    EXPECT_FALSE(row.find("bp") != std::string::npos && !row.ends_with(kCheckMark))
        << "a raw pasted row stays: " << row << "\n"
        << screen.text();
  }
}

TEST(TerminalPty, AFiftyLinePasteShowsFiftyLinesAndNoRawOnes) {
  constexpr int kLines = 50;
  Room room;
  std::vector<std::string> lines;
  for (int index = 1; index <= kLines; ++index) {
    lines.push_back("paste line " + std::string(index < 10 ? "0" : "") + std::to_string(index));
  }
  room.alice.type(bracketed_paste(lines, true));
  // Flood control lets 30 through at once and 10 a second after.
  constexpr auto kPastePatience = std::chrono::seconds(30);
  ASSERT_TRUE(room.alice.read_until(
      [](const std::string& all) {
        return some_line_has(all, {"paste line 50", kCheckMark});
      },
      kPastePatience))
      << room.alice.output();
  ASSERT_TRUE(room.alice.screen_until([](const TerminalScreen& screen) {
    return input_area(screen) == ">";
  })) << room.alice.screen().text();
  for (const auto& line : lines) {
    EXPECT_TRUE(
        some_line_has(room.alice.output(), {"alice: " + line + " " + std::string(kCheckMark)}))
        << line;
  }
  const auto& screen = room.alice.screen();
  EXPECT_TRUE(screen_has_own_line(screen, "paste line 50")) << screen.text();
  for (const auto& row : screen.rows()) {
    if (row.find("paste line") == std::string::npos) continue;
    EXPECT_TRUE(is_own_line(row, row.substr(row.find("paste line"), 13)))
        << "not one sent line: " << row << "\n"
        << screen.text();
  }
}

// As in bash: the text after the paste's last newline is not sent; it stays to be edited.
TEST(TerminalPty, APastedLastLineWithoutNewlineStaysForEditing) {
  Room room;
  room.alice.type(bracketed_paste({"first part", "second part"}, false));
  EXPECT_TRUE(room.other.read_until("From alice: first part"));
  ASSERT_TRUE(room.alice.screen_until([](const TerminalScreen& screen) {
    return screen_has_own_line(screen, "first part") && input_area(screen) == ">secondpart";
  })) << room.alice.screen().text();
  room.alice.type(" edited\r");
  EXPECT_TRUE(room.other.read_until("From alice: second part edited"));
  EXPECT_TRUE(room.alice.screen_until([](const TerminalScreen& screen) {
    return screen_has_own_line(screen, "second part edited") && input_area(screen) == ">";
  })) << room.alice.screen().text();
}

// A long half-typed line, the window narrowed then widened, a message after
// each: the line is on screen once, under the messages, wherever the
// terminal put the rows of the old prompt. `typed` starts with "typed" and
// ends with "forty", each once.
void ResizeLeavesNoPieceOfTheOldPrompt(TerminalKind kind, const std::string& typed) {
  Room room(kind);
  room.alice.type(typed);
  const auto shows_typed_after = [&](const std::string& message) {
    return [&, message](const TerminalScreen& screen) {
      const auto rows = screen.rows();
      const auto said = std::find_if(rows.begin(), rows.end(), [&](const std::string& row) {
        return row.ends_with("bob: " + message);
      });
      return said != rows.end() && input_area(screen) == without_blanks("> " + typed);
    };
  };
  ASSERT_TRUE(room.alice.screen_until([&](const TerminalScreen& screen) {
    return input_area(screen) == without_blanks("> " + typed);
  })) << room.alice.screen().text();
  for (const auto& [columns, message] : {std::pair<std::uint16_t, std::string>{40, "narrower"},
                                         std::pair<std::uint16_t, std::string>{80, "wider"}}) {
    room.alice.resize(PtyClient::kRows, columns);
    room.other.send_line(message);
    room.other.send_line(message + " again");
    ASSERT_TRUE(room.alice.screen_until(shows_typed_after(message + " again")))
        << columns << " columns:\n"
        << room.alice.screen().text();
    const auto rows = room.alice.screen().rows();
    for (const char* word : {"typed", "forty"}) {
      EXPECT_EQ(std::count_if(
                    rows.begin(), rows.end(),
                    [&](const std::string& row) { return row.find(word) != std::string::npos; }),
                1)
          << "a piece of the old prompt stays (" << columns << " columns):\n"
          << room.alice.screen().text();
    }
  }
}

const std::string kLongLine = "a line typed but not sent, long enough to wrap at forty columns";
// After the prompt, 49 cells in 32 characters: two rows at 40 columns, not one.
const std::string kWideLine = "typed: 日本語の文字を書いています、長い行 forty";

TEST(TerminalPty, AfterAResizeNoPieceOfTheOldPromptStays) {
  ResizeLeavesNoPieceOfTheOldPrompt(TerminalKind::reflowing, kLongLine);
}

TEST(TerminalPty, AfterAResizeInXtermNoPieceOfTheOldPromptStays) {
  ResizeLeavesNoPieceOfTheOldPrompt(TerminalKind::xterm, kLongLine);
}

TEST(TerminalPty, AfterAResizeALineOfWideCharactersLeavesNoPieceEither) {
  ResizeLeavesNoPieceOfTheOldPrompt(TerminalKind::reflowing, kWideLine);
}

// The echo of a sent line is wiped (the line comes back marked once
// confirmed): all its rows, counted in cells, not characters.
TEST(TerminalPty, ASentLineOfWideCharactersLeavesNoRowOfItsEcho) {
  Room room;
  std::string line;
  for (int index = 0; index < 45; ++index) line += "語";  // 90 cells: two rows at 80 columns
  room.alice.type(line + "\r");
  EXPECT_TRUE(room.other.read_until("From alice: " + line));
  ASSERT_TRUE(room.alice.screen_until([&](const TerminalScreen& screen) {
    return input_area(screen) == ">" && screen.text().find(kCheckMark) != std::string::npos;
  })) << room.alice.screen().text();
  for (const auto& row : room.alice.screen().rows()) {
    EXPECT_TRUE(row.find("語") == std::string::npos || row.find("alice") != std::string::npos ||
                row.starts_with("      ┆ "))
        << "a row of the echo stays: " << row << "\n"
        << room.alice.screen().text();
  }
}

// Tabs padding a peer's line to past the screen's edge: the terminal would
// wrap the fake notice after them to a row of its own at the left edge.
TEST(TerminalPty, APeersTabsCannotCarryTextToTheLeftEdge) {
  Room room;
  const std::string fake = "02:21 *** alice left (1 online)";
  room.other.send_line(std::string(14, '\t') + "x" + fake);
  ASSERT_TRUE(room.alice.screen_until([](const TerminalScreen& screen) {
    return screen.text().find("alice left") != std::string::npos;
  })) << room.alice.screen().text();
  for (const auto& row : room.alice.screen().rows()) {
    if (row.find("alice left") == std::string::npos) continue;
    EXPECT_TRUE(row.starts_with("      ┆ ") || row.find(" bob: ") == 5)
        << "peer text at the left edge: " << row << "\n"
        << room.alice.screen().text();
  }
}

// Readline shows a tab up to the next multiple of 8 columns: the echo of a
// line of tabs takes that many rows, and all of them are wiped.
TEST(TerminalPty, ASentLineWithTabsLeavesNoRowOfItsEcho) {
  Room room;
  const std::string line = "tabs" + std::string(16, '\t') + "end";  // 131 cells: two rows
  room.alice.type(bracketed_paste({line}, false) + "\r");
  EXPECT_TRUE(room.other.read_until("From alice: " + line));
  ASSERT_TRUE(room.alice.screen_until([&](const TerminalScreen& screen) {
    return input_area(screen) == ">" && screen.text().find(kCheckMark) != std::string::npos;
  })) << room.alice.screen().text();
  for (const auto& row : room.alice.screen().rows()) {
    EXPECT_FALSE(row.starts_with("> tabs")) << "a row of the echo stays:\n"
                                            << room.alice.screen().text();
  }
}

// A pasted log or script is data: ":q", "/quit" and any "/..." in it go to
// everyone as the text they are, and the client stays.
TEST(TerminalPty, APastedCommandOrQuitIsSentAsText) {
  Room room;
  const std::vector<std::string> lines{"before quit", ":q", "/usr/bin/env python3 -c pass",
                                       "/quit bye all", "last"};
  room.alice.type(bracketed_paste(lines, true));
  for (const auto& line : lines) EXPECT_EQ(room.other.read_chat_line(), "From alice: " + line);
  ASSERT_TRUE(room.alice.screen_until([](const TerminalScreen& screen) {
    return screen_has_own_line(screen, "last") && input_area(screen) == ">";
  })) << room.alice.screen().text();
  for (const auto& line : lines) {
    EXPECT_TRUE(screen_has_own_line(room.alice.screen(), line)) << line << " in\n"
                                                                << room.alice.screen().text();
  }
  room.alice.type("typed after\r");
  EXPECT_EQ(room.other.read_chat_line(), "From alice: typed after");
  room.alice.type("/quit\r");
  EXPECT_TRUE(room.alice.shows("*** Goodbye")) << "a typed command is still one";
}

// Every SGR code that starts `name` in the output.
std::set<std::string> styles_of(const std::string& output, const std::string& name) {
  std::set<std::string> styles;
  const std::regex styled("((?:\x1b\\[[0-9;]*m)+)" + name + "\x1b\\[0m");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), styled);
       it != std::sregex_iterator(); ++it) {
    styles.insert((*it)[1]);
  }
  return styles;
}

TEST(TerminalPty, YourNameAndNoticesLookLikeNoPeerNameAndHistoryIsDimmedToTheEnd) {
  ServerProcess server;
  LineClient bob(server.port());
  bob.send_line("/nick bob");
  bob.send_line("said before alice came");
  ASSERT_TRUE(bob.read_until("Message Received"));
  PtyClient alice(server.port(), {"--name", "alice"}, true);
  ASSERT_TRUE(alice.shows("You are now known as alice")) << alice.output();
  alice.type("hello\r");
  ASSERT_TRUE(bob.read_until("From alice: hello"));
  bob.send_line("hi alice");
  ASSERT_TRUE(alice.shows("hi alice")) << alice.output();
  ASSERT_TRUE(alice.read_until([](const std::string& all) {
    return some_line_has(all, {"hello", kCheckMark});
  })) << alice.output();
  const auto& output = alice.output();

  EXPECT_EQ(styles_of(output, "alice"), std::set<std::string>{"\x1b[1m\x1b[7m"}) << output;
  const auto bob_styles = styles_of(output, "bob");
  ASSERT_FALSE(bob_styles.empty()) << output;
  const std::set<std::string> not_for_names{"1", "7", "31", "33", "35", "91", "93", "95"};
  for (const auto& style : bob_styles) {
    const std::regex code("\x1b\\[([0-9;]*)m");
    for (auto it = std::sregex_iterator(style.begin(), style.end(), code);
         it != std::sregex_iterator(); ++it) {
      EXPECT_EQ(not_for_names.count((*it)[1]), 0U) << "bob's name in " << (*it)[1];
    }
  }
  EXPECT_NE(output.find("\x1b[33m*** You are now known as alice"), std::string::npos) << output;
  EXPECT_NE(output.find("\x1b[0m\x1b[2m: said before alice came\x1b[0m"), std::string::npos)
      << "the history line's text is not dimmed: " << output;
}

}  // namespace
}  // namespace lochat::test
