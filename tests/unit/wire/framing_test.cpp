#include "lochat/wire/framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lochat {
namespace {

// Feeds chunks into one framer and records what came out.
struct FramerProbe {
  explicit FramerProbe(std::size_t max_line = kDefaultMaxLine) : framer(max_line) {}
  void feed(std::string_view bytes) {
    framer.feed(
        bytes, [this](std::string_view line) { lines.emplace_back(line); }, [this] { ++overlong; });
  }
  LineFramer framer;
  std::vector<std::string> lines;
  int overlong = 0;
};

TEST(LineFramer, WholeLineInOneRead) {
  FramerProbe probe;
  probe.feed("hello\n");
  EXPECT_EQ(probe.lines, std::vector<std::string>{"hello"});
  EXPECT_EQ(probe.framer.pending(), 0U);
}

TEST(LineFramer, LineSplitAcrossReadsIsDeliveredOnceWhole) {
  FramerProbe probe;
  probe.feed("hel");
  EXPECT_TRUE(probe.lines.empty());
  EXPECT_EQ(probe.framer.pending(), 3U);
  probe.feed("lo wor");
  probe.feed("ld\n");
  EXPECT_EQ(probe.lines, std::vector<std::string>{"hello world"});
}

TEST(LineFramer, MergedLinesInOneReadAreSeparated) {
  FramerProbe probe;
  probe.feed("one\ntwo\nthr");
  probe.feed("ee\n");
  EXPECT_EQ(probe.lines, (std::vector<std::string>{"one", "two", "three"}));
}

TEST(LineFramer, CrLfIsAcceptedEvenWhenSplitBetweenCrAndLf) {
  FramerProbe probe;
  probe.feed("dos\r\nsplit\r");
  probe.feed("\n");
  EXPECT_EQ(probe.lines, (std::vector<std::string>{"dos", "split"}));
}

TEST(LineFramer, ByteAtATimeGivesTheSameLines) {
  FramerProbe probe;
  for (char byte : std::string("a b\r\nc\n\nd\n")) probe.feed(std::string_view(&byte, 1));
  EXPECT_EQ(probe.lines, (std::vector<std::string>{"a b", "c", "", "d"}));
}

TEST(LineFramer, OverlongLineIsDroppedWholeAndTheNextLineSurvives) {
  FramerProbe probe(8);
  probe.feed("12345");
  probe.feed("6789abc");
  EXPECT_LE(probe.framer.pending(), 9U);
  probe.feed("def\nok\n");
  EXPECT_EQ(probe.overlong, 1);
  EXPECT_EQ(probe.lines, std::vector<std::string>{"ok"});
}

TEST(LineFramer, LineOfExactlyMaxBytesIsKeptWithOrWithoutCr) {
  FramerProbe probe(4);
  probe.feed("abcd\nwxyz\r\nabcde\n");
  EXPECT_EQ(probe.lines, (std::vector<std::string>{"abcd", "wxyz"}));
  EXPECT_EQ(probe.overlong, 1);
}

TEST(LineFramer, UnterminatedInputStaysPending) {
  FramerProbe probe;
  probe.feed("no newline yet");
  EXPECT_TRUE(probe.lines.empty());
  EXPECT_EQ(probe.framer.pending(), 14U);
}

}  // namespace
}  // namespace lochat
