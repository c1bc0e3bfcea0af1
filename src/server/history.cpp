#include "lochat/server/history.hpp"

#include <algorithm>
#include <iterator>

#include "lochat/wire/protocol.hpp"

namespace lochat {

History::History(std::size_t capacity) : capacity_(capacity) {}

void History::record(std::string_view relayed) {
  if (capacity_ == 0) return;
  const std::string stamp = protocol::clock_time_now();
  std::vector<SharedLine> stamped;
  while (!relayed.empty()) {
    const auto end = std::min(relayed.find('\n'), relayed.size());
    stamped.push_back(make_shared_line(protocol::history(stamp, relayed.substr(0, end))));
    relayed.remove_prefix(std::min(end + 1, relayed.size()));
  }
  std::lock_guard lock(mutex_);
  for (auto& line : stamped) {
    if (lines_.size() == capacity_) lines_.pop_front();
    lines_.push_back(std::move(line));
  }
}

std::vector<SharedLine> History::recent(std::size_t max_bytes) const {
  std::lock_guard lock(mutex_);
  auto first = lines_.end();
  for (std::size_t bytes = 0; first != lines_.begin(); --first) {
    bytes += (*std::prev(first))->size();
    if (bytes > max_bytes) break;
  }
  return {first, lines_.end()};
}

}  // namespace lochat
