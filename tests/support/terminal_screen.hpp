#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// A small terminal emulator for the pty tests: it is fed what a program wrote
// to its terminal and keeps the screen that a person would see, so a test can
// check what is left on screen, not only which bytes went by. It knows what
// readline and lochat write with TERM=xterm: printable UTF-8 (wide characters
// two cells), CR, LF, BS, TAB, autowrap, and the CSI cursor moves and erases
// (A B C D G H d J K P @ X); colours, modes and OSC strings are skipped.
// A resize either reflows soft-wrapped rows (as tmux, VTE, kitty do) or cuts
// and pads them (as xterm does). Used by one test thread; no locking.
namespace lochat::test {

class TerminalScreen {
 public:
  TerminalScreen(std::size_t rows, std::size_t columns);

  void feed(std::string_view bytes);
  void resize(std::size_t rows, std::size_t columns, bool reflow);

  // Every row as text, trailing blanks removed.
  [[nodiscard]] std::vector<std::string> rows() const;
  // The rows joined by "\n", for failure messages.
  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::size_t cursor_row() const { return cursor_row_; }

 private:
  // One UTF-8 character per cell; "" in the cell a wide character covers too.
  using Row = std::vector<std::string>;

  void put(std::string character);
  void line_feed();
  void control(char byte);
  void csi(std::string_view parameters, char final_byte);
  void erase_in_display(int mode);
  void erase_in_row(std::size_t from, std::size_t to);
  void reflow_to(std::size_t columns);
  void fit_rows(std::size_t rows, std::size_t columns);
  [[nodiscard]] Row blank_row() const { return Row(columns_, " "); }

  std::size_t rows_count_;
  std::size_t columns_;
  std::vector<Row> screen_;
  std::vector<bool> wrapped_;  // the row continues on the next one (autowrap, not a newline)
  std::size_t cursor_row_ = 0;
  std::size_t cursor_column_ = 0;
  bool wrap_pending_ = false;  // a character was written in the last column
  std::string pending_;        // an escape sequence or UTF-8 character not yet complete
};

}  // namespace lochat::test
