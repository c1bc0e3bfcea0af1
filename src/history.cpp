#include "lochat/history.hpp"

#include "lochat/protocol.hpp"

namespace lochat {

History::History(std::size_t capacity) : capacity_(capacity) {}

void History::record(std::span<const SharedLine> relayed) {
  if (capacity_ == 0) return;
  const std::string stamp = protocol::clock_time_now();
  std::vector<SharedLine> stamped;
  stamped.reserve(relayed.size());
  for (const auto& line : relayed)
    stamped.push_back(make_shared_line(protocol::history(stamp, *line)));
  std::lock_guard lock(mutex_);
  for (auto& line : stamped) {
    if (lines_.size() == capacity_) lines_.pop_front();
    lines_.push_back(std::move(line));
  }
}

std::vector<SharedLine> History::recent() const {
  std::lock_guard lock(mutex_);
  return {lines_.begin(), lines_.end()};
}

}  // namespace lochat
