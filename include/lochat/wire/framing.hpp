#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

// Framing: where one line of the byte stream ends. Used by the server's
// sessions, the client's receive thread and the bench, each with its own
// LineFramer (not thread-safe); no locks.
namespace lochat {

inline constexpr std::size_t kDefaultMaxLine = 4096;

// Turns a TCP byte stream into whole lines, whatever the reads split or merge.
// A line ends in "\n"; a "\r" right before it is dropped, so "\r\n" works too.
// A line longer than max_line bytes is dropped whole: the framer discards up to
// the next "\n" and reports it once, so a client cannot make it hold more than
// max_line bytes. Not thread-safe: one framer belongs to one reading thread.
class LineFramer {
 public:
  using LineHandler = std::function<void(std::string_view line)>;
  using OverlongHandler = std::function<void()>;

  explicit LineFramer(std::size_t max_line = kDefaultMaxLine);

  // Calls on_line for every line that `bytes` completes, in order, and
  // on_overlong once for every line that was too long.
  void feed(std::string_view bytes, const LineHandler& on_line, const OverlongHandler& on_overlong);

  // At end of input: hands over an unfinished last line as if its "\n" had come.
  void finish(const LineHandler& on_line, const OverlongHandler& on_overlong);

  // Bytes of an unfinished line held back until its newline arrives.
  [[nodiscard]] std::size_t pending() const { return partial_.size(); }
  // True while a line has begun and not ended (even one being discarded as too long).
  [[nodiscard]] bool has_unfinished() const { return !partial_.empty() || discarding_; }
  [[nodiscard]] std::size_t max_line() const { return max_line_; }

 private:
  void append_partial(std::string_view piece);
  void finish_line(const LineHandler& on_line, const OverlongHandler& on_overlong);

  std::size_t max_line_;
  std::string partial_;
  bool discarding_ = false;
};

}  // namespace lochat
