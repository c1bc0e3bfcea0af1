#include "terminal_screen.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "lochat/wire/text.hpp"

namespace lochat::test {

namespace {

constexpr char kEscape = '\x1b';
constexpr std::size_t kTabStop = 8;
const std::string kBlank = " ";

// How many bytes the UTF-8 character starting with `lead` has.
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// An escape sequence in `pending` (starting with ESC) is complete.
bool escape_complete(std::string_view pending) {
  if (pending.size() < 2) return false;
  const char kind = pending[1];
  const char last = pending.back();
  if (kind == '[') return pending.size() > 2 && last >= 0x40 && last <= 0x7E;
  if (kind == ']') return last == '\a' || pending.ends_with("\x1b\\");
  if (kind == '(' || kind == ')') return pending.size() == 3;
  return true;
}

std::vector<int> numbers(std::string_view parameters) {
  std::vector<int> found;
  std::size_t start = 0;
  while (start <= parameters.size()) {
    const auto end = std::min(parameters.find(';', start), parameters.size());
    int value = 0;
    std::from_chars(parameters.data() + start, parameters.data() + end, value);
    found.push_back(value);
    start = end + 1;
  }
  return found;
}

}  // namespace

TerminalScreen::TerminalScreen(std::size_t rows, std::size_t columns)
    : rows_count_(rows),
      columns_(columns),
      screen_(rows, Row(columns, kBlank)),
      wrapped_(rows, false) {}

void TerminalScreen::feed(std::string_view bytes) {
  for (const char byte : bytes) {
    if (!pending_.empty()) {
      pending_ += byte;
      if (pending_[0] == kEscape) {
        if (!escape_complete(pending_)) continue;
        if (pending_[1] == '[')
          csi(std::string_view(pending_).substr(2, pending_.size() - 3), byte);
        pending_.clear();
      } else if (pending_.size() == utf8_length(static_cast<unsigned char>(pending_[0]))) {
        put(std::exchange(pending_, {}));
      }
      continue;
    }
    const auto code = static_cast<unsigned char>(byte);
    if (byte == kEscape || code >= 0x80) {
      pending_ = std::string(1, byte);
    } else if (code < 0x20 || code == 0x7F) {
      control(byte);
    } else {
      put(std::string(1, byte));
    }
  }
}

// A wide character takes its cell and the next, left empty; one that does
// not fit in the row's last cell goes to the next row. A combining mark joins
// the character before it.
void TerminalScreen::put(std::string character) {
  const std::size_t width = text::display_width(character);
  if (width == 0) {
    if (cursor_column_ > 0) screen_[cursor_row_][cursor_column_ - 1] += character;
    return;
  }
  if (wrap_pending_ || (width == 2 && cursor_column_ + 1 == columns_)) {
    wrapped_[cursor_row_] = true;
    cursor_column_ = 0;
    line_feed();
  }
  screen_[cursor_row_][cursor_column_] = std::move(character);
  if (width == 2) screen_[cursor_row_][++cursor_column_] = "";
  if (cursor_column_ + 1 == columns_) {
    wrap_pending_ = true;
  } else {
    ++cursor_column_;
  }
}

void TerminalScreen::line_feed() {
  wrap_pending_ = false;
  if (cursor_row_ + 1 < rows_count_) {
    ++cursor_row_;
    return;
  }
  screen_.erase(screen_.begin());
  screen_.push_back(blank_row());
  wrapped_.erase(wrapped_.begin());
  wrapped_.push_back(false);
}

void TerminalScreen::control(char byte) {
  switch (byte) {
    case '\r':
      cursor_column_ = 0;
      wrap_pending_ = false;
      break;
    case '\n':
      line_feed();
      break;
    case '\b':
      if (cursor_column_ > 0) --cursor_column_;
      wrap_pending_ = false;
      break;
    case '\t':
      cursor_column_ = std::min((cursor_column_ / kTabStop + 1) * kTabStop, columns_ - 1);
      break;
    default:
      break;  // the bell and other controls leave the screen as it is
  }
}

void TerminalScreen::csi(std::string_view parameters, char final_byte) {
  if (!parameters.empty() && (parameters[0] == '?' || parameters[0] == '>')) return;  // modes
  const auto values = numbers(parameters);
  const auto count = static_cast<std::size_t>(std::max(values[0], 1));
  const auto last_row = rows_count_ - 1;
  const auto last_column = columns_ - 1;
  wrap_pending_ = false;
  auto& row = screen_[cursor_row_];
  switch (final_byte) {
    case 'A':
      cursor_row_ -= std::min(count, cursor_row_);
      break;
    case 'B':
      cursor_row_ = std::min(cursor_row_ + count, last_row);
      break;
    case 'C':
      cursor_column_ = std::min(cursor_column_ + count, last_column);
      break;
    case 'D':
      cursor_column_ -= std::min(count, cursor_column_);
      break;
    case 'G':
      cursor_column_ = std::min(count - 1, last_column);
      break;
    case 'd':
      cursor_row_ = std::min(count - 1, last_row);
      break;
    case 'H':
    case 'f':
      cursor_row_ = std::min(count - 1, last_row);
      cursor_column_ =
          values.size() > 1
              ? std::min(static_cast<std::size_t>(std::max(values[1], 1)) - 1, last_column)
              : 0;
      break;
    case 'J':
      erase_in_display(values[0]);
      break;
    case 'K':
      if (values[0] == 1) {
        erase_in_row(0, cursor_column_ + 1);
      } else {
        erase_in_row(values[0] == 2 ? 0 : cursor_column_, columns_);
      }
      break;
    case 'P':
      row.erase(
          row.begin() + static_cast<std::ptrdiff_t>(cursor_column_),
          row.begin() + static_cast<std::ptrdiff_t>(std::min(cursor_column_ + count, columns_)));
      row.resize(columns_, kBlank);
      break;
    case '@':
      row.insert(row.begin() + static_cast<std::ptrdiff_t>(cursor_column_), count, kBlank);
      row.resize(columns_);
      break;
    case 'X':
      erase_in_row(cursor_column_, std::min(cursor_column_ + count, columns_));
      break;
    default:
      break;  // colours, scroll regions and the like: nothing to see
  }
}

void TerminalScreen::erase_in_display(int mode) {
  if (mode == 2) {
    std::fill(screen_.begin(), screen_.end(), blank_row());
    std::fill(wrapped_.begin(), wrapped_.end(), false);
    return;
  }
  const std::size_t first = mode == 1 ? 0 : cursor_row_ + 1;
  const std::size_t end = mode == 1 ? cursor_row_ : rows_count_;
  for (std::size_t index = first; index < end; ++index) {
    screen_[index] = blank_row();
    wrapped_[index] = false;
  }
  if (mode == 1) {
    erase_in_row(0, cursor_column_ + 1);
  } else {
    erase_in_row(cursor_column_, columns_);
  }
}

void TerminalScreen::erase_in_row(std::size_t from, std::size_t to) {
  std::fill(screen_[cursor_row_].begin() + static_cast<std::ptrdiff_t>(from),
            screen_[cursor_row_].begin() + static_cast<std::ptrdiff_t>(to), kBlank);
  if (to == columns_) wrapped_[cursor_row_] = false;
}

void TerminalScreen::resize(std::size_t rows, std::size_t columns, bool reflow) {
  wrap_pending_ = false;
  if (reflow) {
    reflow_to(columns);
  } else {
    for (auto& row : screen_) row.resize(columns, kBlank);
  }
  columns_ = columns;
  fit_rows(rows, columns);
  cursor_column_ = std::min(cursor_column_, columns - 1);
}

// Soft-wrapped rows are joined into their lines and cut again at the new
// width; the cursor keeps its place in its line.
void TerminalScreen::reflow_to(std::size_t columns) {
  std::size_t used = cursor_row_ + 1;
  for (std::size_t index = 0; index < screen_.size(); ++index) {
    if (std::any_of(screen_[index].begin(), screen_[index].end(),
                    [](const std::string& cell) { return cell != kBlank; })) {
      used = std::max(used, index + 1);
    }
  }
  std::vector<Row> lines(1);
  std::size_t cursor_line = 0;
  std::size_t cursor_offset = 0;
  for (std::size_t index = 0; index < used; ++index) {
    if (index == cursor_row_) {
      cursor_line = lines.size() - 1;
      cursor_offset = lines.back().size() + cursor_column_;
    }
    lines.back().insert(lines.back().end(), screen_[index].begin(), screen_[index].end());
    if (!wrapped_[index] && index + 1 < used) lines.emplace_back();
  }
  std::vector<Row> screen;
  std::vector<bool> wrapped;
  for (std::size_t line = 0; line < lines.size(); ++line) {
    auto& cells = lines[line];
    const std::size_t keep = line == cursor_line ? cursor_offset : 0;
    while (cells.size() > keep && cells.back() == kBlank) cells.pop_back();
    if (line == cursor_line) {
      cursor_row_ = screen.size() + cursor_offset / columns;
      cursor_column_ = cursor_offset % columns;
    }
    for (std::size_t start = 0; start == 0 || start < cells.size(); start += columns) {
      const auto end = std::min(start + columns, cells.size());
      Row row(cells.begin() + static_cast<std::ptrdiff_t>(start),
              cells.begin() + static_cast<std::ptrdiff_t>(end));
      row.resize(columns, kBlank);
      screen.push_back(std::move(row));
      wrapped.push_back(end < cells.size());
    }
  }
  while (screen.size() <= cursor_row_) {
    screen.emplace_back(columns, kBlank);
    wrapped.push_back(false);
  }
  screen_ = std::move(screen);
  wrapped_ = std::move(wrapped);
}

// The screen keeps the cursor's row: rows beyond the height go off the top.
void TerminalScreen::fit_rows(std::size_t rows, std::size_t columns) {
  if (cursor_row_ >= rows) {
    const auto off_the_top = static_cast<std::ptrdiff_t>(cursor_row_ + 1 - rows);
    screen_.erase(screen_.begin(), screen_.begin() + off_the_top);
    wrapped_.erase(wrapped_.begin(), wrapped_.begin() + off_the_top);
    cursor_row_ = rows - 1;
  }
  screen_.resize(rows, Row(columns, kBlank));
  wrapped_.resize(rows, false);
  rows_count_ = rows;
}

std::vector<std::string> TerminalScreen::rows() const {
  std::vector<std::string> texts;
  for (const auto& row : screen_) {
    std::string text;
    for (const auto& cell : row) text += cell;
    text.erase(text.find_last_not_of(' ') + 1);
    texts.push_back(std::move(text));
  }
  return texts;
}

std::string TerminalScreen::text() const {
  std::string joined;
  for (const auto& row : rows()) joined += row + "\n";
  return joined;
}

}  // namespace lochat::test
