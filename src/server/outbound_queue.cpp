#include "lochat/server/outbound_queue.hpp"

#include <iterator>
#include <utility>

namespace lochat {

OutboundQueue::OutboundQueue(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

OutboundQueue::PushResult OutboundQueue::push_all(std::span<const SharedLine> lines) {
  std::size_t size = 0;
  for (const auto& line : lines) size += line->size();
  std::lock_guard lock(mutex_);
  if (overflowed_ || bytes_ + size > capacity_) {
    overflowed_ = true;
    return PushResult::overflow;
  }
  const bool was_idle = lines_.empty();
  lines_.insert(lines_.end(), lines.begin(), lines.end());
  bytes_ += size;
  return was_idle ? PushResult::queued_was_idle : PushResult::queued;
}

void OutboundQueue::take_all(std::vector<SharedLine>& out) {
  std::lock_guard lock(mutex_);
  if (out.empty()) {
    out.swap(lines_);
    return;
  }
  out.insert(out.end(), std::make_move_iterator(lines_.begin()),
             std::make_move_iterator(lines_.end()));
  lines_.clear();
}

void OutboundQueue::release(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  bytes_ -= bytes < bytes_ ? bytes : bytes_;
}

bool OutboundQueue::overflowed() const {
  std::lock_guard lock(mutex_);
  return overflowed_;
}

std::size_t OutboundQueue::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

bool OutboundQueue::empty() const {
  std::lock_guard lock(mutex_);
  return lines_.empty();
}

}  // namespace lochat
