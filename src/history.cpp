#include "lochat/history.hpp"

#include <utility>

namespace lochat {

History::History(std::size_t capacity) : capacity_(capacity) {}

void History::record(SharedLine line) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  if (lines_.size() == capacity_) lines_.pop_front();
  lines_.push_back(std::move(line));
}

std::vector<SharedLine> History::recent() const {
  std::lock_guard lock(mutex_);
  return {lines_.begin(), lines_.end()};
}

}  // namespace lochat
