#pragma once

#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <string_view>
#include <vector>

#include "lochat/wire/shared_line.hpp"

namespace lochat {

// The last `capacity` public messages, stamped with the time they were
// recorded and formatted as history lines, for replay to newcomers. Each line is at most one client
// line plus a short prefix, so memory is bounded by capacity x max line length. Thread-safe: every
// session records into it and reads from it.
class History {
 public:
  explicit History(std::size_t capacity);

  // Keeps relay lines (as sent to peers, each ending in "\n"), oldest
  // first; nothing at capacity 0.
  void record(std::string_view relayed);
  // The newest lines whose bytes add up to at most `max_bytes`, oldest first.
  [[nodiscard]] std::vector<SharedLine> recent(
      std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;  // guards lines_
  std::deque<SharedLine> lines_;
};

}  // namespace lochat
